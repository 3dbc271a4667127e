package target

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzReadFetch feeds arbitrary server output to the FETCH reader: it must
// return (the input is finite), never panic, fail only with errors of
// this package, and never count more FETCH responses than the input names.
func FuzzReadFetch(f *testing.F) {
	for _, s := range []string{
		postbusEnvelope + postbusEnvelope2 + okTagged,
		dovecotEnvelope + okTagged,
		"* 1 FETCH (UID 1 BODY[HEADER.FIELDS ({4}\r\nFrom)] {2}\r\n\r\n)\r\n" + okTagged,
		"* 1 FETCH (UID 1 BINARY[] ~{5}\r\na\x00b\r\n)\r\n* 3 EXPUNGE\r\n* OK [X] y\r\n" + okTagged,
		"* 1 FETCH (UID 1 BODY[]<0> {3+}\r\nabc)\r\n* BYE x\r\n",
		"+ more\r\nR1 NO x\r\n",
		`* 2 FETCH (UID 7 ENVELOPE (NIL "a\"b\\c" ((NIL NIL "t" NIL))))` + "\r\nR1 BAD y\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	want := [][]byte{[]byte("UID"), []byte("ENVELOPE"), []byte("BODY[]")}
	f.Fuzz(func(t *testing.T, data []byte, tiny bool) {
		l := newLexer(bytes.NewReader(data))
		if tiny {
			l.buf = make([]byte, 2)
		}
		n, err := l.readFetch([]byte("R1"), want)
		if err != nil && !errors.Is(err, ErrTarget) {
			t.Fatalf("error outside ErrTarget: %v", err)
		}
		if max := int64(strings.Count(strings.ToUpper(string(data)), "FETCH")); n > max {
			t.Fatalf("counted %d FETCH responses in input naming FETCH %d times", n, max)
		}
	})
}
