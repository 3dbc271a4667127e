package deliver

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// crlfReference is the normalisation done the obvious way.
func crlfReference(in []byte) []byte {
	var out []byte
	for i, b := range in {
		if b == '\n' && (i == 0 || in[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, b)
	}
	return out
}

var crlfCases = []string{
	"", "\n", "\r", "\r\n", "\n\n\n", "a\nb\r\nc\rd\n", "From: a\nTo: b\n\nbody\n",
	"\r\r\n\n", "ends with CR\r", "x" + string(bytes.Repeat([]byte("line\n"), 20000)),
}

func TestCRLFReader(t *testing.T) {
	for _, in := range crlfCases {
		want := crlfReference([]byte(in))
		// Whole reads, one byte at a time from below, and tiny buffers
		// above (the inserted CR must not be lost at a buffer's end).
		readers := map[string]func() io.Reader{
			"whole":     func() io.Reader { return newCRLFReader(bytes.NewReader([]byte(in))) },
			"one byte":  func() io.Reader { return newCRLFReader(iotest.OneByteReader(bytes.NewReader([]byte(in)))) },
			"half read": func() io.Reader { return newCRLFReader(iotest.HalfReader(bytes.NewReader([]byte(in)))) },
		}
		for name, mk := range readers {
			for _, size := range []int{1, 2, 3, 7, 4096} {
				var out []byte
				r := mk()
				buf := make([]byte, size)
				for {
					n, err := r.Read(buf)
					out = append(out, buf[:n]...)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if !bytes.Equal(out, want) {
					t.Fatalf("%s, buffer %d, input %.40q: got %.60q, want %.60q", name, size, in, out, want)
				}
			}
		}
	}
	// A read error is passed on after the bytes before it.
	r := newCRLFReader(iotest.DataErrReader(iotest.TimeoutReader(bytes.NewReader([]byte("a\nb")))))
	if got, err := io.ReadAll(r); err == nil || !bytes.HasPrefix(crlfReference([]byte("a\nb")), got) {
		t.Fatalf("read error: %q, %v", got, err)
	}
}

func FuzzCRLFReader(f *testing.F) {
	for _, c := range crlfCases {
		f.Add([]byte(c), 3)
	}
	f.Fuzz(func(t *testing.T, in []byte, size int) {
		size = 1 + (size&0xff)%64
		var out []byte
		r := newCRLFReader(iotest.HalfReader(bytes.NewReader(in)))
		buf := make([]byte, size)
		for {
			n, err := r.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if want := crlfReference(in); !bytes.Equal(out, want) {
			t.Fatalf("got %q, want %q", out, want)
		}
	})
}
