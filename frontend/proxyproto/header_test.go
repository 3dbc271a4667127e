package proxyproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
)

func v2(verCmd, fam byte, payload []byte) []byte {
	b := append([]byte{}, sigV2...)
	b = append(b, verCmd, fam)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	return append(b, payload...)
}

func inet4Block() []byte {
	return []byte{192, 0, 2, 1, 198, 51, 100, 7, 0xc3, 0x50, 0x03, 0xe1} // :50000 → :993
}

func TestParseHeader(t *testing.T) {
	src4 := netip.MustParseAddrPort("192.0.2.1:50000")
	dst4 := netip.MustParseAddrPort("198.51.100.7:993")
	src6 := netip.MustParseAddrPort("[2001:db8::1]:40000")
	dst6 := netip.MustParseAddrPort("[2001:db8::2]:143")
	inet6 := (&Header{Command: Proxy, Source: src6, Destination: dst6}).AppendV2(nil)
	tlv := append(inet4Block(), 0x04, 0x00, 0x02, 'h', 'i', 0x30, 0x00, 0x00) // NOOP TLV + empty TLV

	tests := []struct {
		name    string
		in      string
		want    *Header
		wantErr error
		rest    string // left in the reader
	}{
		{name: "v1 tcp4", in: "PROXY TCP4 192.0.2.1 198.51.100.7 50000 993\r\nrest",
			want: &Header{Version: 1, Command: Proxy, Source: src4, Destination: dst4}, rest: "rest"},
		{name: "v1 tcp6", in: "PROXY TCP6 2001:db8::1 2001:db8::2 40000 143\r\n",
			want: &Header{Version: 1, Command: Proxy, Source: src6, Destination: dst6}},
		{name: "v1 unknown", in: "PROXY UNKNOWN\r\nx", want: &Header{Version: 1, Command: Local}, rest: "x"},
		{name: "v1 unknown with junk", in: "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", want: &Header{Version: 1, Command: Local}},
		{name: "v1 max ports", in: "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
			want: &Header{Version: 1, Command: Proxy, Source: netip.MustParseAddrPort("0.0.0.0:0"), Destination: netip.MustParseAddrPort("255.255.255.255:65535")}},
		{name: "v1 tcp4 with v6 address", in: "PROXY TCP4 2001:db8::1 198.51.100.7 1 2\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 tcp6 with v4 address", in: "PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 port too big", in: "PROXY TCP4 192.0.2.1 198.51.100.7 65536 2\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 port leading zero", in: "PROXY TCP4 192.0.2.1 198.51.100.7 01 2\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 port sign", in: "PROXY TCP4 192.0.2.1 198.51.100.7 +1 2\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 zone", in: "PROXY TCP6 fe80::1%eth0 2001:db8::2 1 2\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 missing field", in: "PROXY TCP4 192.0.2.1 198.51.100.7 1\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 extra space", in: "PROXY TCP4  192.0.2.1 198.51.100.7 1 2\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 bare LF", in: "PROXY TCP4 192.0.2.1 198.51.100.7 1 2\n", wantErr: ErrInvalidHeader},
		{name: "v1 udp", in: "PROXY UDP4 192.0.2.1 198.51.100.7 1 2\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 too long", in: "PROXY UNKNOWN " + strings.Repeat("x", 200) + "\r\n", wantErr: ErrInvalidHeader},
		{name: "v1 truncated", in: "PROXY TCP4 192.0.2.1", wantErr: io.ErrUnexpectedEOF},
		{name: "not proxy: imap", in: "a1 CAPABILITY\r\n", wantErr: ErrNoHeader, rest: "a1 CAPABILITY\r\n"},
		{name: "not proxy: tls hello", in: "\x16\x03\x01\x02\x00", wantErr: ErrNoHeader, rest: "\x16\x03\x01\x02\x00"},
		{name: "not proxy: near v1", in: "PROXZ", wantErr: ErrNoHeader, rest: "PROXZ"},
		{name: "not proxy: near v2", in: "\r\n\r\nX", wantErr: ErrNoHeader, rest: "\r\n\r\nX"},
		{name: "empty", in: "", wantErr: io.EOF},

		{name: "v2 tcp4", in: string(v2(0x21, 0x11, inet4Block())) + "after",
			want: &Header{Version: 2, Command: Proxy, Source: src4, Destination: dst4}, rest: "after"},
		{name: "v2 tcp6", in: string(inet6),
			want: &Header{Version: 2, Command: Proxy, Source: src6, Destination: dst6}},
		{name: "v2 tlvs skipped", in: string(v2(0x21, 0x11, tlv)) + "z",
			want: &Header{Version: 2, Command: Proxy, Source: src4, Destination: dst4}, rest: "z"},
		{name: "v2 local", in: string(v2(0x20, 0x00, nil)), want: &Header{Version: 2, Command: Local}},
		{name: "v2 local with ignored address", in: string(v2(0x20, 0x11, inet4Block())), want: &Header{Version: 2, Command: Local}},
		{name: "v2 unspec proxy", in: string(v2(0x21, 0x00, []byte{1, 2, 3})), wantErr: ErrInvalidHeader}, // bytes are not TLVs
		{name: "v2 unspec proxy no payload", in: string(v2(0x21, 0x00, nil)), want: &Header{Version: 2, Command: Proxy}},
		{name: "v2 unix", in: string(v2(0x21, 0x31, make([]byte, 216))), want: &Header{Version: 2, Command: Proxy}},
		{name: "v2 udp keeps real address", in: string(v2(0x21, 0x12, inet4Block())), want: &Header{Version: 2, Command: Proxy}},
		{name: "v2 version 1 byte", in: string(v2(0x11, 0x11, inet4Block())), wantErr: ErrInvalidHeader},
		{name: "v2 bad command", in: string(v2(0x22, 0x11, inet4Block())), wantErr: ErrInvalidHeader},
		{name: "v2 bad family", in: string(v2(0x21, 0x41, inet4Block())), wantErr: ErrInvalidHeader},
		{name: "v2 bad protocol", in: string(v2(0x21, 0x13, inet4Block())), wantErr: ErrInvalidHeader},
		{name: "v2 short address block", in: string(v2(0x21, 0x21, inet4Block())), wantErr: ErrInvalidHeader},
		{name: "v2 truncated tlv", in: string(v2(0x21, 0x11, append(inet4Block(), 0x01, 0x00))), wantErr: ErrInvalidHeader},
		{name: "v2 tlv overrun", in: string(v2(0x21, 0x11, append(inet4Block(), 0x01, 0x00, 0x05, 'a'))), wantErr: ErrInvalidHeader},
		{name: "v2 too large", in: string(v2(0x21, 0x11, make([]byte, MaxV2Payload+1))), wantErr: ErrInvalidHeader},
		{name: "v2 truncated payload", in: string(v2(0x21, 0x11, inet4Block())[:20]), wantErr: io.ErrUnexpectedEOF},
		{name: "v2 truncated fixed part", in: string(sigV2) + "\x21", wantErr: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(tc.in), 512)
			h, err := ParseHeader(r)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v (header %+v)", err, tc.wantErr, h)
				}
			} else {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if *h != *tc.want {
					t.Fatalf("header = %+v, want %+v", *h, *tc.want)
				}
			}
			if tc.wantErr == nil || errors.Is(tc.wantErr, ErrNoHeader) {
				rest, _ := io.ReadAll(r)
				if string(rest) != tc.rest {
					t.Fatalf("left %q, want %q", rest, tc.rest)
				}
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	headers := []Header{
		{Command: Proxy, Source: netip.MustParseAddrPort("192.0.2.1:1"), Destination: netip.MustParseAddrPort("192.0.2.2:993")},
		{Command: Proxy, Source: netip.MustParseAddrPort("[2001:db8::1]:65535"), Destination: netip.MustParseAddrPort("[2001:db8::2]:0")},
		{Command: Local},
	}
	for _, h := range headers {
		for _, version := range []int{1, 2} {
			var b []byte
			if version == 1 {
				b = h.AppendV1(nil)
			} else {
				b = h.AppendV2(nil)
			}
			got, err := ParseHeader(bufio.NewReader(bytes.NewReader(b)))
			if err != nil {
				t.Fatalf("v%d %+v: %v (%q)", version, h, err, b)
			}
			want := h
			want.Version = version
			if *got != want {
				t.Fatalf("v%d: got %+v, want %+v", version, *got, want)
			}
		}
	}
}
