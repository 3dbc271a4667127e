package mailimport

import (
	"bytes"
	"io"
	"testing"
)

// FuzzMessageFile runs the Maildir message path (header block, then CRLF
// normalisation of the rest) over arbitrary bytes: it never fails on
// input, an accepted message has a header that ends in an empty line and
// only CRLF line endings, and no line is lost.
func FuzzMessageFile(f *testing.F) {
	f.Add([]byte("Subject: a\n\nbody\n"))
	f.Add([]byte("Subject: a\r\n b\r\n\r\nbody"))
	f.Add([]byte("\x00garbage"))
	f.Add([]byte(" continuation first\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		l := newLineReader(bytes.NewReader(in))
		fields, broken, err := readHeader(l.next)
		if err != nil {
			t.Fatalf("I/O error on a byte slice: %v", err)
		}
		if broken != "" {
			return
		}
		hdr := writeHeader(fields)
		if !bytes.HasSuffix(hdr, []byte("\r\n\r\n")) {
			t.Fatalf("header %q does not end with an empty line", hdr)
		}
		out, err := io.ReadAll(io.MultiReader(bytes.NewReader(hdr), newCRLF(l)))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
			t.Fatalf("bare LF in output %q", out)
		}
		// Every input line is there (the header's blank line may be added).
		if got, want := bytes.Count(out, []byte("\n")), bytes.Count(in, []byte("\n")); got < want {
			t.Fatalf("%d lines out, %d in", got, want)
		}
	})
}
