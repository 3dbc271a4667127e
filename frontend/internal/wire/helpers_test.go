package wire

import (
	"bufio"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// testDecoder drives a Decoder over in and records continuation requests.
type testDecoder struct {
	*Decoder
	conts int
}

func newTestDecoder(in string, lim Limits) *testDecoder {
	td := &testDecoder{}
	// A small bufio buffer exercises the chunked line reading.
	td.Decoder = NewDecoder(bufio.NewReaderSize(strings.NewReader(in), 64), func(text string) error {
		if text != continuationText {
			panic("unexpected continuation text " + text)
		}
		td.conts++
		return nil
	}, lim)
	return td
}

// smallLimits make the bounds easy to reach in tests.
func smallLimits() Limits {
	return Limits{
		MaxLineLength:     200,
		MaxLiteral:        1000,
		MaxSmallLiteral:   50,
		MaxNesting:        4,
		MaxNonSyncLiteral: 100,
	}
}

// syntaxErr asserts that err is a *SyntaxError and returns it.
func syntaxErr(t *testing.T, err error) *SyntaxError {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got error %v (%T), want *SyntaxError", err, err)
	}
	return se
}

func seqs(rs ...imap.SeqRange) imap.SeqSet { return imap.SeqSet(rs) }
func uids(rs ...imap.UIDRange) imap.UIDSet { return imap.UIDSet(rs) }
func sr(a, b uint32) imap.SeqRange         { return imap.SeqRange{Start: a, Stop: b} }
func ur(a, b uint32) imap.UIDRange         { return imap.UIDRange{Start: imap.UID(a), Stop: imap.UID(b)} }

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Search key constructors for expected trees.
func kAnd(ks ...*SearchKey) *SearchKey { return &SearchKey{Op: SearchAnd, Children: ks} }
func kOr(a, b *SearchKey) *SearchKey   { return &SearchKey{Op: SearchOr, Children: []*SearchKey{a, b}} }
func kNot(k *SearchKey) *SearchKey     { return not(k) }
func kFlag(f string) *SearchKey        { return &SearchKey{Op: SearchFlag, Flag: f} }
func kHdr(f, v string) *SearchKey      { return &SearchKey{Op: SearchHeader, Field: f, Value: v} }
func kOp(op SearchOp) *SearchKey       { return &SearchKey{Op: op} }
func kNum(op SearchOp, n uint64) *SearchKey {
	return &SearchKey{Op: op, Number: n}
}
func kDate(op SearchOp, t time.Time) *SearchKey { return &SearchKey{Op: op, Date: t} }

// search wraps keys as the top-level And of a plain SEARCH.
func search(ks ...*SearchKey) *SearchArgs { return &SearchArgs{Key: kAnd(ks...)} }

func item(name string) FetchItem { return FetchItem{Name: name} }
func sec(name string, peek bool, s *Section, p *Partial) FetchItem {
	return FetchItem{Name: name, Peek: peek, Section: s, Partial: p}
}
