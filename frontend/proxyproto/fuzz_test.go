package proxyproto

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzParseHeader feeds arbitrary bytes to the parser: it must not panic,
// must consume nothing on ErrNoHeader and never more than the bounds allow,
// and what it accepts must re-encode to a header that parses the same.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte("PROXY TCP4 192.0.2.1 198.51.100.7 50000 993\r\n"))
	f.Add([]byte("PROXY TCP6 2001:db8::1 2001:db8::2 40000 143\r\nabc"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add(v2(0x21, 0x11, inet4Block()))
	f.Add(v2(0x20, 0x00, nil))
	f.Add(v2(0x21, 0x11, append(inet4Block(), 0x04, 0x00, 0x01, 'x')))
	f.Add([]byte("a1 NOOP\r\n"))
	f.Add(v2(0x21, 0x31, make([]byte, 216)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 512)
		h, err := ParseHeader(r)
		rest, _ := io.ReadAll(r)
		consumed := len(data) - len(rest)
		if errors.Is(err, ErrNoHeader) && consumed != 0 {
			t.Fatalf("ErrNoHeader after consuming %d bytes", consumed)
		}
		if consumed > 16+MaxV2Payload {
			t.Fatalf("consumed %d bytes", consumed)
		}
		if err != nil {
			return
		}
		if h.Version == 1 && consumed > MaxV1Line {
			t.Fatalf("v1 header of %d bytes accepted", consumed)
		}
		for _, b := range [][]byte{h.AppendV1(nil), h.AppendV2(nil)} {
			h2, err := ParseHeader(bufio.NewReader(bytes.NewReader(b)))
			if err != nil {
				t.Fatalf("re-encoded %+v as %q: %v", *h, b, err)
			}
			// A PROXY header without usable addresses encodes as UNKNOWN in
			// version 1; what must survive is the address it yields.
			if h2.HasAddresses() != h.HasAddresses() || h2.Source != h.Source {
				t.Fatalf("round trip %+v → %+v", *h, *h2)
			}
		}
	})
}
