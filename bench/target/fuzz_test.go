package target

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
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

// FuzzReadSearch feeds arbitrary server output to the SEARCH reader: it
// must return (the input is finite), never panic, fail only with errors of
// this package, and, where no range can stand for many numbers (no ":"),
// never count more hits than the input has runs of digits.
func FuzzReadSearch(f *testing.F) {
	for _, s := range []string{
		"* SEARCH 2 3 5 7 11\r\n* SEARCH 4294967295\r\n" + okTagged,
		"* SEARCH\r\n* 3 EXISTS\r\n* OK [X] y\r\n" + okTagged,
		"* SEARCH 2 5 6 (MODSEQ 917162500)\r\n" + okTagged,
		`* ESEARCH (TAG "R1") UID MIN 1 MAX 9 COUNT 7 ALL 1:3,5,9:7 MODSEQ 5` + "\r\n" + okTagged,
		"* ESEARCH (TAG {2}\r\nR1) UID PARTIAL (1:10 1,3) ALL 2\r\n" + okTagged,
		"* SEARCH 1 02\r\nR1 NO x\r\n",
		"* SEARCH 1 2\r\n* BYE x\r\n",
		"+ more\r\nA7 BAD y\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, tiny bool) {
		l := newLexer(bytes.NewReader(data))
		if tiny {
			l.buf = make([]byte, 2)
		}
		n, err := l.readSearch([]byte("R1"))
		// The byte-wise path alone (one byte per read, so the fast path
		// never sees a whole number) must agree.
		slow := newLexer(iotest.OneByteReader(bytes.NewReader(data)))
		if sn, serr := slow.readSearch([]byte("R1")); sn != n || (serr == nil) != (err == nil) {
			t.Fatalf("read whole: %d, %v; byte by byte: %d, %v", n, err, sn, serr)
		}
		if err != nil && !errors.Is(err, ErrTarget) {
			t.Fatalf("error outside ErrTarget: %v", err)
		}
		if n < 0 {
			t.Fatalf("counted %d hits", n)
		}
		if !bytes.ContainsRune(data, ':') {
			if runs := int64(len(digitRuns.FindAll(data, -1))); n > runs {
				t.Fatalf("counted %d hits in input with %d runs of digits", n, runs)
			}
		}
	})
}

var digitRuns = regexp.MustCompile(`[0-9]+`)
