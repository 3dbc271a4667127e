package wire

import (
	"bufio"
	"strings"
	"testing"
)

// benchDecode parses the same command b.N times.
func benchDecode(b *testing.B, line string) {
	in := strings.NewReader(line)
	r := bufio.NewReader(in)
	d := NewDecoder(r, func(string) error { return nil }, DefaultLimits())
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		in.Reset(line)
		r.Reset(in)
		if _, err := d.ReadCommand(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCommandFetch(b *testing.B) {
	benchDecode(b, "A0042 UID FETCH 1:100,200,300:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE "+
		"BODY.PEEK[HEADER.FIELDS (From To Cc Subject Date Message-ID References In-Reply-To)]<0.4096> MODSEQ) (CHANGEDSINCE 123456 VANISHED)\r\n")
}

func BenchmarkReadCommandSearch(b *testing.B) {
	benchDecode(b, "A0043 UID SEARCH RETURN (MIN MAX COUNT) CHARSET UTF-8 OR (FROM \"alice@example.com\" SINCE 1-Jan-2024) "+
		"(NOT SEEN LARGER 10000) UNDELETED SUBJECT \"quarterly report\" UID 1:5000 MODSEQ 77 NOT KEYWORD $Junk\r\n")
}
