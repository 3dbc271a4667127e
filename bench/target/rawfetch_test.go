package target

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// Responses in the styles of the two servers the benchmark compares.
// postbus quotes every string it can; Dovecot sends literals for strings
// with 8-bit or special characters and upper-cases echoed header fields.
const (
	postbusEnvelope = `* 1 FETCH (UID 1 FLAGS (\Seen) RFC822.SIZE 4312 ENVELOPE ("Mon, 01 Jan 2024 10:00:00 +0000" "Quarterly report" (("Alice Example" NIL "alice" "example.com")) (("Alice Example" NIL "alice" "example.com")) (("Alice Example" NIL "alice" "example.com")) ((NIL NIL "bob" "example.org")) NIL NIL NIL "<m1@example.com>"))` + "\r\n"
	// Escapes, an empty list of flags, a group address, In-Reply-To.
	postbusEnvelope2 = `* 2 FETCH (UID 7 FLAGS () RFC822.SIZE 99 ENVELOPE (NIL "say \"hi\" to C:\\dir (really)" ((NIL NIL "team" NIL) ("Bob" NIL "bob" "example.org") (NIL NIL NIL NIL)) NIL NIL NIL NIL NIL "<m1@example.com>" "<m2@example.com>"))` + "\r\n"
	// A literal subject holding what would end the response if scanned.
	dovecotEnvelope = "* 3 FETCH (UID 9 FLAGS (\\Seen \\Flagged $Label1) RFC822.SIZE 70001 ENVELOPE (\"Tue, 2 Jan 2024 08:00:00 +0100\" {34}\r\nR\xc3\xa9sum\xc3\xa9 ) \"quoted\"\r\n* 9 FETCH (x) ((\"Zo\xc3\xab\" NIL \"zoe\" \"example.net\")) ((\"Zo\xc3\xab\" NIL \"zoe\" \"example.net\")) ((\"Zo\xc3\xab\" NIL \"zoe\" \"example.net\")) ((NIL NIL \"x\" \"example.net\")) NIL NIL NIL \"<m3@example.net>\"))\r\n"
	okTagged        = "R1 OK Fetch completed (0.001 + 0.000 secs).\r\n"
)

var envelopeWant = []string{"UID", "FLAGS", "RFC822.SIZE", "ENVELOPE"}

func bodyLiteral(n int) string {
	// CRLFs, parentheses, quotes, braces and a fake completion inside.
	unit := "line ) ( \" { } \\\r\nR1 OK fake\r\n* 5 BYE no\r\n"
	s := strings.Repeat(unit, n/len(unit)+1)[:n]
	return fmt.Sprintf("{%d}\r\n%s", n, s)
}

func TestReadFetch(t *testing.T) {
	big := bodyLiteral(200 << 10) // bigger than the lexer's buffer
	cases := []struct {
		name    string
		stream  string
		want    []string
		n       int64
		errIs   error  // nil: success
		errText string // in the error
	}{
		{"postbus envelopes", postbusEnvelope + postbusEnvelope2 + okTagged, envelopeWant, 2, nil, ""},
		{"dovecot literal in envelope", dovecotEnvelope + okTagged, envelopeWant, 1, nil, ""},
		{"items in another order", `* 4 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) RFC822.SIZE 1 FLAGS (\Seen) UID 4)` + "\r\n" + okTagged, envelopeWant, 1, nil, ""},
		{"space before CRLF", postbusEnvelope + "* 3 EXPUNGE\r\n* 4 EXISTS\r\n* 1 RECENT\r\n* OK [HIGHESTMODSEQ 77] \"odd { text\r\n* FLAGS (\\Seen \\Answered)\r\n* 5 FETCH (FLAGS (\\Seen)) \r\n" + postbusEnvelope2 + okTagged,
			envelopeWant, 1, ErrMalformed, "after FETCH data"},
		{"untagged in between, well formed", postbusEnvelope + "* 3 EXPUNGE\r\n* 4 EXISTS\r\n* OK [HIGHESTMODSEQ 77] \"odd { text\r\n* LIST () \"/\" {5}\r\nINBOX\r\n" + postbusEnvelope2 + okTagged,
			envelopeWant, 2, nil, ""},
		{"completion without text", postbusEnvelope + "R1 OK\r\n", envelopeWant, 1, nil, ""},
		{"lower-case names", "* 1 fetch (uid 1 body[] {3}\r\nabc)\r\nR1 ok done\r\n", []string{"UID", "BODY[]"}, 1, nil, ""},
		{"body literal bigger than the buffer", "* 1 FETCH (UID 1 BODY[] " + big + ")\r\n* 2 FETCH (UID 2 BODY[] " + big + ")\r\n" + okTagged,
			[]string{"UID", "BODY[]"}, 2, nil, ""},
		{"empty literal and NIL body", "* 1 FETCH (UID 1 BODY[] {0}\r\n)\r\n* 2 FETCH (UID 2 BODY[] NIL)\r\n" + okTagged, []string{"UID", "BODY[]"}, 2, nil, ""},
		{"header fields, postbus echo", "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (\"From\" \"To\" \"Subject\" \"Date\" \"Message-ID\")] {22}\r\nFrom: a@b\r\nTo: c@d\r\n\r\n)\r\n" + okTagged,
			[]string{"UID", "BODY[HEADER.FIELDS (From To Subject Date Message-ID)]"}, 1, nil, ""},
		{"header fields, dovecot echo", "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)] {2}\r\n\r\n)\r\n" + okTagged,
			[]string{"UID", "BODY[HEADER.FIELDS (From To Subject Date Message-ID)]"}, 1, nil, ""},
		{"header field as a literal", "* 1 FETCH (UID 1 BODY[HEADER.FIELDS ({4}\r\nFrom)] {2}\r\n\r\n)\r\n" + okTagged,
			[]string{"UID", "BODY[HEADER.FIELDS (From)]"}, 1, nil, ""},
		{"partial origin", "* 1 FETCH (UID 1 BODY[]<0> {4}\r\nabcd)\r\n" + okTagged, []string{"UID", "BODY[]<0>"}, 1, nil, ""},
		{"literal8", "* 1 FETCH (UID 1 BINARY[] ~{5}\r\na\x00b\r\n)\r\n" + okTagged, []string{"UID", "BINARY[]"}, 1, nil, ""},
		{"non-synchronizing literal form", "* 1 FETCH (UID 1 BODY[] {3+}\r\nabc)\r\n" + okTagged, []string{"UID", "BODY[]"}, 1, nil, ""},
		{"bodystructure, multipart with literal parameter", "* 1 FETCH (UID 1 BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 12 1 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" {9}\r\nr\xc3\xa9p.pdf)) NIL NIL \"base64\" 4000 NIL (\"attachment\" (\"filename*\" \"utf-8''r%C3%A9p.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL))\r\n" + okTagged,
			[]string{"UID", "BODYSTRUCTURE"}, 1, nil, ""},
		{"FETCH without a wanted item", "* 1 FETCH (UID 1 FLAGS ())\r\n" + okTagged, envelopeWant, 1, ErrMissingItem, "message 1 lacks RFC822.SIZE"},
		{"BODY[] wanted, BODY given", "* 1 FETCH (UID 1 BODY (\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1))\r\n" + okTagged, []string{"UID", "BODY[]"}, 1, ErrMissingItem, "lacks BODY[]"},
		{"NO after a FETCH without a wanted item", "* 1 FETCH (UID 1)\r\nR1 NO gone\r\n", []string{"UID", "BODY[]"}, 1, ErrRefused, "NO gone"},
		{"tagged NO", postbusEnvelope + "R1 NO [SERVERBUG] it broke\r\n", envelopeWant, 1, ErrRefused, "NO [SERVERBUG] it broke"},
		{"tagged BAD", "R1 BAD unknown command\r\n", envelopeWant, 0, ErrRefused, "BAD unknown command"},
		{"BYE", postbusEnvelope + "* BYE shutting down\r\n", envelopeWant, 1, ErrBye, "BYE shutting down"},
		{"continuation request", "+ go ahead\r\n", envelopeWant, 0, ErrMalformed, "continuation request"},
		{"bare continuation", "+\r\n", envelopeWant, 0, ErrMalformed, "continuation request"},
		{"foreign tag", "A7 OK done\r\n", envelopeWant, 0, ErrMalformed, `tag "A7"`},
		{"stream ends", postbusEnvelope, envelopeWant, 1, ErrTarget, "closed"},
		{"stream ends in a literal", "* 1 FETCH (UID 1 BODY[] {10}\r\nabc", []string{"BODY[]"}, 0, ErrTarget, "closed"},
		{"stream ends in a quoted string", `* 1 FETCH (UID 1 ENVELOPE ("abc`, envelopeWant, 0, ErrTarget, "closed"},
		{"CRLF in a quoted string", "* 1 FETCH (UID 1 ENVELOPE (\"ab\r\nc\"))\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "inside a quoted string"},
		{"unclosed list", "* 1 FETCH (UID 1 ENVELOPE (NIL NIL\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "unclosed list"},
		{"unclosed msg-att", "* 1 FETCH (UID 1\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "SP or )"},
		{"item without value", "* 1 FETCH (UID )\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "without a value"},
		{"empty msg-att", "* 1 FETCH ()\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "item expected"},
		{"FETCH without list", "* 1 FETCH UID 1\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "FETCH data"},
		{"literal length overflows", "* 1 FETCH (UID 1 BODY[] {99999999999999999999}\r\n" + okTagged, []string{"BODY[]"}, 0, ErrMalformed, "overflows"},
		{"literal without length", "* 1 FETCH (UID 1 BODY[] {}\r\n" + okTagged, []string{"BODY[]"}, 0, ErrMalformed, "without a length"},
		{"literal length not closed", "* 1 FETCH (UID 1 BODY[] {12x}\r\n" + okTagged, []string{"BODY[]"}, 0, ErrMalformed, "length ends"},
		{"literal without CRLF", "* 1 FETCH (UID 1 BODY[] {1}x)\r\n" + okTagged, []string{"BODY[]"}, 0, ErrMalformed, "literal's length"},
		{"bare LF ends a line", "* 3 EXPUNGE\n" + okTagged, envelopeWant, 0, ErrMalformed, "end of response"},
		{"bare LF after status text", "* OK hello\n" + okTagged, envelopeWant, 0, ErrMalformed, "end of response text"},
		{"unbalanced ] in name", "* 1 FETCH (UID] 1)\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "unbalanced ]"},
		{"CRLF in a section", "* 1 FETCH (BODY[HEADER\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "inside a section"},
		{"huge item name", "* 1 FETCH (" + strings.Repeat("X", 5000) + " 1)\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "longer than"},
		{"huge tag", strings.Repeat("T", 5000) + " OK\r\n", envelopeWant, 0, ErrMalformed, "longer than"},
		{"control character in atom", "* 1 FETCH (UID 1\x01 FLAGS ())\r\n" + okTagged, envelopeWant, 0, ErrMalformed, "control character"},
		{"no name after *", "* \r\n" + okTagged, envelopeWant, 0, ErrMalformed, "without a name"},
		{"empty response", "\r\n", envelopeWant, 0, ErrMalformed, "starts with"},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
		buf  int
	}{
		{"whole", func(r io.Reader) io.Reader { return r }, lexBufSize},
		{"byte by byte", iotest.OneByteReader, lexBufSize},
		{"half reads, 3-byte buffer", iotest.HalfReader, 3},
	}
	for _, c := range cases {
		want := make([][]byte, len(c.want))
		for i, s := range c.want {
			want[i] = []byte(s)
		}
		for _, rd := range readers {
			t.Run(c.name+"/"+rd.name, func(t *testing.T) {
				l := newLexer(rd.wrap(strings.NewReader(c.stream)))
				l.buf = make([]byte, rd.buf)
				n, err := l.readFetch([]byte("R1"), want)
				if c.errIs == nil {
					if err != nil {
						t.Fatalf("err = %v", err)
					}
					if l.buffered() != 0 {
						t.Errorf("%d bytes left unread after the completion", l.buffered())
					}
				} else if !errors.Is(err, c.errIs) || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want %v mentioning %q", err, c.errIs, c.errText)
				}
				if n != c.n {
					t.Errorf("counted %d FETCH responses, want %d", n, c.n)
				}
			})
		}
	}
}

// TestReadFetchAllocatesNothing reads a 2000-message response again and
// again: once the scratch buffers have grown, no response allocates.
func TestReadFetchAllocatesNothing(t *testing.T) {
	stream := envelopeResponse(2000, "R1")
	rd := bytes.NewReader(stream)
	l := newLexer(rd)
	want := [][]byte{[]byte("UID"), []byte("FLAGS"), []byte("RFC822.SIZE"), []byte("ENVELOPE")}
	tag := []byte("R1")
	allocs := testing.AllocsPerRun(20, func() {
		rd.Reset(stream)
		l.reset(rd)
		if n, err := l.readFetch(tag, want); err != nil || n != 2000 {
			t.Fatalf("readFetch = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per 2000-message response, want 0", allocs)
	}
}

func TestReadFetchRejectsTooManyItems(t *testing.T) {
	l := newLexer(strings.NewReader(okTagged))
	if _, err := l.readFetch([]byte("R1"), make([][]byte, MaxFetchItems+1)); !errors.Is(err, ErrTarget) {
		t.Fatalf("err = %v", err)
	}
}

// envelopeResponse is a UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)
// response of n messages, mixing postbus's and Dovecot's styles, and its
// completion with tag.
func envelopeResponse(n int, tag string) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `* %d FETCH (UID %d FLAGS (\Seen) RFC822.SIZE %d ENVELOPE ("Mon, 01 Jan 2024 10:%02d:00 +0000" `, i, i, 2000+i*7, i%60)
		if i%3 == 0 {
			subj := fmt.Sprintf("R\xc3\xa9union n\xc2\xb0%d (planning) \"draft\"", i)
			fmt.Fprintf(&b, "{%d}\r\n%s", len(subj), subj)
		} else {
			fmt.Fprintf(&b, `"Weekly status report number %d \"draft\""`, i)
		}
		from := fmt.Sprintf(`(("Sender %d" NIL "user%d" "example.com"))`, i%17, i%17)
		fmt.Fprintf(&b, ` %s %s %s ((NIL NIL "team" NIL) ("Bob Receiver" NIL "bob" "example.org") (NIL NIL NIL NIL)) NIL NIL "<m%d@example.com>" "<m%d@example.com>"))`+"\r\n",
			from, from, from, i-1, i)
	}
	fmt.Fprintf(&b, "%s OK Fetch completed.\r\n", tag)
	return b.Bytes()
}
