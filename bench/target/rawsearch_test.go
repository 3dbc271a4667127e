package target

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// searchLine is "* SEARCH" and the UIDs from 1 to n, step apart.
func searchLine(n, step int) string {
	var b strings.Builder
	b.WriteString("* SEARCH")
	for i := range n {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(1 + i*step))
	}
	b.WriteString("\r\n")
	return b.String()
}

func TestReadSearch(t *testing.T) {
	huge := searchLine(100_000, 3) // ~650 KB on one line, ten buffers' worth
	cases := []struct {
		name    string
		stream  string
		n       int64
		errIs   error  // nil: success
		errText string // in the error
	}{
		{"one line", "* SEARCH 2 3 5 7 11\r\n" + okTagged, 5, nil, ""},
		{"several lines", "* SEARCH 1 2 3\r\n* SEARCH 7 9\r\n* SEARCH 4294967295\r\n" + okTagged, 6, nil, ""},
		{"empty result", "* SEARCH\r\nR1 OK Search completed (0.001 + 0.000 secs).\r\n", 0, nil, ""},
		{"no SEARCH response", okTagged, 0, nil, ""},
		{"completion without text", "* SEARCH 4\r\nR1 OK\r\n", 1, nil, ""},
		{"lower case", "* search 1 2\r\nR1 ok done\r\n", 2, nil, ""},
		{"untagged in between", "* 3 EXISTS\r\n* OK [HIGHESTMODSEQ 7] \"odd { text\r\n* SEARCH 10 1\r\n* 2 EXPUNGE\r\n* LIST () \"/\" {5}\r\nINBOX\r\n* FLAGS (\\Seen)\r\n" + okTagged, 2, nil, ""},
		{"CONDSTORE MODSEQ", "* SEARCH 2 5 6 (MODSEQ 917162500)\r\n" + okTagged, 3, nil, ""},
		{"huge line", huge + okTagged, 100_000, nil, ""},
		{"ESEARCH with correlator", `* ESEARCH (TAG "R1") UID ALL 1:3,5,9:7` + "\r\n" + okTagged, 7, nil, ""},
		{"ESEARCH every return datum", `* ESEARCH (TAG "R1") UID MIN 1 MAX 9 COUNT 7 ALL 1:3,5,9:7 MODSEQ 5` + "\r\n" + okTagged, 7, nil, ""},
		{"ESEARCH extension data", "* ESEARCH UID PARTIAL (1:10 1,3) X-NEW \"v\" ALL 2\r\n" + okTagged, 1, nil, ""},
		{"ESEARCH whole UID range", "* ESEARCH UID ALL 1:4294967295\r\n" + okTagged, 4294967295, nil, ""},
		{"ESEARCH tag as a literal", "* ESEARCH (TAG {2}\r\nR1) ALL 4\r\n" + okTagged, 1, nil, ""},
		{"ESEARCH without ALL", `* ESEARCH (TAG "R1") UID COUNT 0` + "\r\n" + okTagged, 0, nil, ""},
		{"bare ESEARCH", "* ESEARCH\r\n" + okTagged, 0, nil, ""},
		{"ESEARCH and SEARCH add up", "* ESEARCH UID ALL 1:2\r\n* SEARCH 8\r\n" + okTagged, 3, nil, ""},
		{"tagged NO", "* SEARCH 1\r\nR1 NO [CANNOT] too complex\r\n", 1, ErrRefused, "NO [CANNOT] too complex"},
		{"tagged BAD", "R1 BAD [BADCHARSET (US-ASCII)] charset\r\n", 0, ErrRefused, "BAD [BADCHARSET"},
		{"BYE", "* SEARCH 1 2\r\n* BYE shutting down\r\n", 2, ErrBye, "BYE shutting down"},
		{"foreign tag", "* SEARCH 1\r\nA7 OK done\r\n", 1, ErrMalformed, `tag "A7"`},
		{"continuation request", "+ go ahead\r\n", 0, ErrMalformed, "continuation request"},
		{"stream ends", "* SEARCH 1 2", 1, ErrTarget, "closed"}, // the last number may go on
		{"stream ends after the line", "* SEARCH 1 2\r\n", 2, ErrTarget, "closed"},
		{"leading zero", "* SEARCH 1 02\r\n" + okTagged, 1, ErrMalformed, "leading zero"},
		{"zero", "* SEARCH 0\r\n" + okTagged, 0, ErrMalformed, "zero"},
		{"number over 32 bits", "* SEARCH 4294967296\r\n" + okTagged, 0, ErrMalformed, "number over"},
		{"number of 5000 digits", "* SEARCH 1" + strings.Repeat("9", 5000) + "\r\n" + okTagged, 0, ErrMalformed, "number over"},
		{"letter in a number", "* SEARCH 12a\r\n" + okTagged, 1, ErrMalformed, "want SP or CRLF"},
		{"negative number", "* SEARCH -1\r\n" + okTagged, 0, ErrMalformed, "number expected"},
		{"two spaces", "* SEARCH 1  2\r\n" + okTagged, 1, ErrMalformed, "number expected"},
		{"space before CRLF", "* SEARCH 1 \r\n" + okTagged, 1, ErrMalformed, "number expected"},
		{"bare LF", "* SEARCH 1\n" + okTagged, 1, ErrMalformed, "want SP or CRLF"},
		{"CR without LF", "* SEARCH 1\rR1 OK\r\n", 1, ErrMalformed, "end of SEARCH response"},
		{"SEARCH with a message number", "* 3 SEARCH 1\r\n" + okTagged, 0, ErrMalformed, "message number"},
		{"MODSEQ without numbers", "* SEARCH (MODSEQ 5)\r\n" + okTagged, 0, ErrMalformed, "without numbers"},
		{"MODSEQ zero", "* SEARCH 1 (MODSEQ 0)\r\n" + okTagged, 1, ErrMalformed, "mod-sequence-value"},
		{"not MODSEQ", "* SEARCH 1 (COUNT 5)\r\n" + okTagged, 1, ErrMalformed, "want (MODSEQ n)"},
		{"MODSEQ not closed", "* SEARCH 1 (MODSEQ 5\r\n" + okTagged, 1, ErrMalformed, "after the MODSEQ"},
		{"numbers after MODSEQ", "* SEARCH 1 (MODSEQ 5) 2\r\n" + okTagged, 1, ErrMalformed, "after the MODSEQ"},
		{"ESEARCH for another tag", `* ESEARCH (TAG "A9") ALL 1` + "\r\n" + okTagged, 0, ErrMalformed, `tag "A9"`},
		{"ESEARCH correlator not TAG", `* ESEARCH (FOO "R1") ALL 1` + "\r\n" + okTagged, 0, ErrMalformed, "want (TAG"},
		{"ESEARCH tag not a string", "* ESEARCH (TAG R1) ALL 1\r\n" + okTagged, 0, ErrMalformed, "not a string"},
		{"ESEARCH correlator not closed", `* ESEARCH (TAG "R1" ALL 1` + "\r\n" + okTagged, 0, ErrMalformed, "after the ESEARCH correlator"},
		{"ESEARCH correlator after data", `* ESEARCH UID ALL 1 (TAG "R1")` + "\r\n" + okTagged, 1, ErrMalformed, "correlator after"},
		{"ESEARCH ALL with *", "* ESEARCH UID ALL 1:*\r\n" + okTagged, 0, ErrMalformed, "number expected"},
		{"ESEARCH ALL zero", "* ESEARCH UID ALL 0\r\n" + okTagged, 0, ErrMalformed, "zero"},
		{"ESEARCH ALL empty", "* ESEARCH UID ALL \r\n" + okTagged, 0, ErrMalformed, "number expected"},
		{"ESEARCH ALL trailing comma", "* ESEARCH UID ALL 1,\r\n" + okTagged, 1, ErrMalformed, "number expected"},
		{"ESEARCH ALL over 32 bits", "* ESEARCH UID ALL 1:4294967296\r\n" + okTagged, 0, ErrMalformed, "number over"},
		{"ESEARCH name without value", "* ESEARCH UID COUNT\r\n" + okTagged, 0, ErrMalformed, "after an ESEARCH return data name"},
		{"ESEARCH value missing", "* ESEARCH UID COUNT \r\n" + okTagged, 0, ErrMalformed, "without a value"},
		{"ESEARCH junk", "* ESEARCH UID ALL 1x\r\n" + okTagged, 1, ErrMalformed, "want SP or CRLF"},
		{"ESEARCH with a message number", "* 2 ESEARCH ALL 1\r\n" + okTagged, 0, ErrMalformed, "message number"},
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
		for _, rd := range readers {
			t.Run(c.name+"/"+rd.name, func(t *testing.T) {
				l := newLexer(rd.wrap(strings.NewReader(c.stream)))
				l.buf = make([]byte, rd.buf)
				n, err := l.readSearch([]byte("R1"))
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
					t.Errorf("counted %d hits, want %d", n, c.n)
				}
			})
		}
	}
}

// TestReadSearchAllocatesNothing reads a 20,000-UID answer again and
// again: once the scratch buffers have grown, no answer allocates.
func TestReadSearchAllocatesNothing(t *testing.T) {
	stream := []byte(searchLine(20_000, 2) + `* ESEARCH (TAG "R1") UID ALL 1:5,9` + "\r\n" + okTagged)
	rd := bytes.NewReader(stream)
	l := newLexer(rd)
	tag := []byte("R1")
	allocs := testing.AllocsPerRun(20, func() {
		rd.Reset(stream)
		l.reset(rd)
		if n, err := l.readSearch(tag); err != nil || n != 20_006 {
			t.Fatalf("readSearch = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per 20,000-UID answer, want 0", allocs)
	}
}

func TestNextLiteral(t *testing.T) {
	cases := []struct {
		in    string
		at, n int
		sync  bool
	}{
		{`UID SEARCH FROM "x"`, -1, 0, false},
		{"UID SEARCH FROM {5}\r\nJos\xc3\xa9", 21, 5, true},
		{"UID SEARCH FROM {5+}\r\nJos\xc3\xa9", 22, 5, false},
		{"UID SEARCH KEYWORD a}\r\n", -1, 0, false},               // "}" ends an atom
		{"UID SEARCH KEYWORD {}\r\n", -1, 0, false},               // no digits
		{"UID SEARCH KEYWORD {1x}\r\n", -1, 0, false},             // not a number
		{"X {" + strings.Repeat("9", 19) + "}\r\n", -1, 0, false}, // too long
		{"X a}\r\n{2}\r\nab", 11, 2, true},                        // the first header
	}
	for _, c := range cases {
		at, n, sync := nextLiteral([]byte(c.in))
		if at != c.at || n != c.n || sync != c.sync {
			t.Errorf("nextLiteral(%q) = %d, %d, %v; want %d, %d, %v", c.in, at, n, sync, c.at, c.n, c.sync)
		}
	}
}

func TestCheckLine(t *testing.T) {
	cases := []struct {
		line    string
		errText string // "": valid
	}{
		{"R1 UID SEARCH ALL\r\n", ""},
		{"R1 UID SEARCH FROM {5}\r\nJos\xc3\xa9\r\n", ""},
		{"R1 UID SEARCH FROM {5}\r\nJos\xc3\xa9 TO {3+}\r\na\r\n\r\n", ""}, // CRLF inside a literal
		{"R1 UID SEARCH FROM {5}\r\n{1}\r\n\r\n", ""},                      // a header inside a literal is data
		{"R1 UID SEARCH ALL", "without its final CRLF"},
		{"R1 UID SEARCH ALL\r\nR2 LOGOUT\r\n", "CR or LF outside a literal"},
		{"R1 UID SEARCH FROM \"a\rb\"\r\n", "CR or LF outside a literal"},
		{"R1 UID SEARCH KEYWORD a}\r\nx\r\n", "CR or LF outside a literal"},
		{"R1 UID SEARCH FROM {9}\r\nabc\r\n", "literal of 9 octets, 3 follow"},
		{"R1 UID SEARCH FROM {5}\r\n", "literal of 5 octets, 0 follow"},
		{"R1 UID SEARCH FROM {3}\r\nabc\r\n", ""},
		{"R1 UID SEARCH FROM {3}\r\nab\r\n", "literal of 3 octets, 2 follow"},
	}
	for _, c := range cases {
		err := checkLine([]byte(c.line))
		if c.errText == "" {
			if err != nil {
				t.Errorf("checkLine(%q) = %v", c.line, err)
			}
		} else if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), c.errText) {
			t.Errorf("checkLine(%q) = %v, want ErrTarget mentioning %q", c.line, err, c.errText)
		}
	}
}

func TestAppendString(t *testing.T) {
	long := strings.Repeat("a", maxQuoted+1)
	cases := []struct {
		in, out string
		errText string
	}{
		{"zqf07x", `"zqf07x"`, ""},
		{"", `""`, ""},
		{`say "hi" to C:\dir`, `"say \"hi\" to C:\\dir"`, ""},
		{"Jos\xc3\xa9", "{5}\r\nJos\xc3\xa9", ""},
		{"a\r\nb", "{4}\r\na\r\nb", ""},
		{strings.Repeat("a", maxQuoted), `"` + strings.Repeat("a", maxQuoted) + `"`, ""},
		{long, fmt.Sprintf("{%d}\r\n%s", len(long), long), ""},
		{"a\x00b", "", "NUL"},
	}
	for _, c := range cases {
		got, err := AppendString([]byte("FROM "), c.in)
		if c.errText != "" {
			if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), c.errText) {
				t.Errorf("AppendString(%q) = %v, want ErrTarget mentioning %q", c.in, err, c.errText)
			}
			continue
		}
		if err != nil || string(got) != "FROM "+c.out {
			t.Errorf("AppendString(%q) = %q, %v; want %q", c.in, got, err, "FROM "+c.out)
		}
	}
}

// TestRawSearchScripted checks Search's command lines, literals sent
// after the continuation request (or at once for LITERAL+), refusals that
// leave the connection usable, and that a server which stops answering
// cannot hang it.
func TestRawSearchScripted(t *testing.T) {
	addr, done := scriptServer(t, []step{{"", greeting},
		{`R1 LOGIN "u1" "x"`, "R1 OK\r\n"}, {examineLine, examineOK},
		{`R3 UID SEARCH FROM "zqf07x" UNSEEN`, "* SEARCH 3 1 2\r\n* 4 EXISTS\r\nR3 OK done\r\n"},
		{"R4 UID SEARCH CHARSET UTF-8 FROM {5}", "* OK still here\r\n+ go ahead\r\n"},
		{"Jos\xc3\xa9 UNSEEN", "* ESEARCH (TAG \"R4\") UID ALL 1:3,7\r\nR4 OK\r\n"},
		{"R5 UID SEARCH TEXT {5}", "R5 NO [BADCHARSET (US-ASCII)] no literals here\r\n"},
		{"R6 UID SEARCH TEXT {3+}", ""},
		{"abc ALL", "* SEARCH\r\nR6 OK\r\n"},
		{"R8 UID SEARCH ALL", "R8 BAD [CANNOT] nope\r\n"},
		{`R9 UID SEARCH SINCE "1-Jan-2024"`, ""}, // and never answer
	})
	tg := Target{Addr: addr, TLS: TLSNone, UserPattern: "u%d", PassPattern: "x", Timeout: 300 * time.Millisecond}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	rc, err := tg.DialRaw(1, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	cases := []struct {
		cmd     string
		n       int64
		errIs   error
		errText string
	}{
		{`UID SEARCH FROM "zqf07x" UNSEEN`, 3, nil, ""},
		{"UID SEARCH CHARSET UTF-8 FROM {5}\r\nJos\xc3\xa9 UNSEEN", 4, nil, ""},
		{"UID SEARCH TEXT {5}\r\nJos\xc3\xa9", 0, ErrRefused, "no literals here"},
		{"UID SEARCH TEXT {3+}\r\nabc ALL", 0, nil, ""},
		// Refused before anything is sent (the tag R7 is skipped).
		{"UID SEARCH ALL\r\nR99 LOGOUT", 0, ErrTarget, "outside a literal"},
		{"UID SEARCH ALL", 0, ErrRefused, "BAD [CANNOT] nope"},
	}
	for _, c := range cases {
		n, err := rc.Search([]byte(c.cmd))
		if c.errIs == nil && err != nil || c.errIs != nil && (!errors.Is(err, c.errIs) || !strings.Contains(err.Error(), c.errText)) {
			t.Fatalf("Search(%q) = %v, want %v mentioning %q", c.cmd, err, c.errIs, c.errText)
		}
		if n != c.n {
			t.Errorf("Search(%q) = %d hits, want %d", c.cmd, n, c.n)
		}
	}
	read := rc.BytesRead()
	if _, err := rc.Search([]byte(`UID SEARCH SINCE "1-Jan-2024"`)); !errors.Is(err, ErrTarget) || errors.Is(err, ErrRefused) {
		t.Fatalf("Search from a silent server = %v, want a timeout error", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rc.BytesRead() != read {
		t.Errorf("read %d bytes from a silent server", rc.BytesRead()-read)
	}
	// Out of step now: no command may follow.
	written := rc.BytesWritten()
	if _, err := rc.Search([]byte("UID SEARCH ALL")); !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "unusable") {
		t.Errorf("Search after a timeout: %v", err)
	}
	if rc.BytesWritten() != written {
		t.Errorf("%d bytes written after a timeout", rc.BytesWritten()-written)
	}
}

// TestRawSearchBrokenByMalformed: a malformed answer leaves the stream out
// of step, so the connection refuses further commands.
func TestRawSearchBrokenByMalformed(t *testing.T) {
	addr, _ := scriptServer(t, []step{{"", greeting},
		{`R1 LOGIN "u1" "x"`, "R1 OK\r\n"}, {examineLine, examineOK},
		{"R3 UID SEARCH UNSEEN", "* SEARCH 1 02\r\nR3 OK\r\n"},
	})
	tg := Target{Addr: addr, TLS: TLSNone, UserPattern: "u%d", PassPattern: "x", Timeout: 5 * time.Second}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	rc, err := tg.DialRaw(1, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := rc.Search([]byte("UID SEARCH UNSEEN")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Search = %v, want ErrMalformed", err)
	}
	if _, err := rc.Search([]byte("UID SEARCH UNSEEN")); !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "unusable") {
		t.Fatalf("Search after a malformed answer: %v", err)
	}
}
