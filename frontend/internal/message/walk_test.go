package message

import (
	"strings"
	"testing"

	"github.com/postbus/postbus/proto/metadatapb"
)

// bodies returns the body of every leaf, depth first, as raw text.
func bodies(raw string, p *metadatapb.MimePart) []string {
	if p.Message != nil {
		return bodies(raw, p.Message)
	}
	if len(p.Children) == 0 {
		return []string{raw[p.BodyOffset : p.BodyOffset+p.BodyLength]}
	}
	var out []string
	for _, c := range p.Children {
		out = append(out, bodies(raw, c)...)
	}
	return out
}

func TestWalkEdgeCases(t *testing.T) {
	long := strings.Repeat("x", 200*1024) // longer than any read buffer
	for _, tc := range []struct {
		name   string
		msg    string
		bodies []string
		lines  []uint32 // of the leaves, when set
	}{{
		name:   "line longer than the buffer, then a boundary",
		msg:    crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n" + long + "\n--b\n\nshort\n--b--\n"),
		bodies: []string{long, "short"},
		lines:  []uint32{0, 0},
	}, {
		name:   "CR LF split across buffer reads",
		msg:    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n" + long + "\r\n" + long + "\r\n--b--\r\n",
		bodies: []string{long + "\r\n" + long},
		lines:  []uint32{1},
	}, {
		// A boundary that extends an outer one: the longest match wins.
		name:   "nested boundaries sharing a prefix",
		msg:    crlf("Content-Type: multipart/mixed; boundary=ab\n\n--ab\nContent-Type: multipart/alternative; boundary=abc\n\n--abc\n\none\n--abc\n\ntwo\n--abc--\n--ab\n\nthree\n--ab--\n"),
		bodies: []string{"one", "two", "three"},
	}, {
		// "b-" inside "b": "--b--" is a delimiter of the inner "b-"
		// (the innermost match, longer than "b"), as in Dovecot.
		name:   "inner boundary extends the outer one",
		msg:    crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=b-\n\n--b-\n\none\n--b--\ntwo\n--b--\n"),
		bodies: []string{"one", "", ""},
	}, {
		// "b" inside "b-": "--b--" closes the inner "b", which is the
		// whole line without its "--"; "--b---" then closes "b-".
		name:   "outer boundary extends the inner one",
		msg:    crlf("Content-Type: multipart/mixed; boundary=b-\n\n--b-\nContent-Type: multipart/alternative; boundary=b\n\n--b\n\none\n--b--\ntwo\n--b---\n"),
		bodies: []string{"one"},
	}, {
		// The same boundary reused inside (RFC 2046 §5.1.2 forbids it):
		// the innermost multipart owns it until its close delimiter.
		name:   "boundary reused by a nested multipart",
		msg:    crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b--\n--b\n\ntwo\n--b--\n"),
		bodies: []string{"one", "two"},
	}, {
		name:   "header cut short by a boundary",
		msg:    crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n--b\n\nafter\n--b--\n"),
		bodies: []string{"", "after"},
	}, {
		name:   "missing close delimiter",
		msg:    crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nrest of the message\n"),
		bodies: []string{"rest of the message\r\n"},
		lines:  []uint32{1},
	}, {
		name:   "boundary with transport padding and trailing junk",
		msg:    crlf("Content-Type: multipart/mixed; boundary=b\n\n--b  \n\none\n--b-- junk\nepilogue\n"),
		bodies: []string{"one"},
	}, {
		name:   "no final line break",
		msg:    "Subject: x\r\n\r\nno newline",
		bodies: []string{"no newline"},
		lines:  []uint32{0},
	}, {
		name:   "header without blank line",
		msg:    "Subject: x\r\nFrom: y@z",
		bodies: []string{""},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := analyze(t, tc.msg)
			checkTree(t, m, int64(len(tc.msg)))
			got := bodies(tc.msg, m.Part)
			if strings.Join(got, "|") != strings.Join(tc.bodies, "|") {
				t.Fatalf("bodies %q, want %q", trunc(got), trunc(tc.bodies))
			}
			if tc.lines != nil {
				var lines []uint32
				var walk func(p *metadatapb.MimePart)
				walk = func(p *metadatapb.MimePart) {
					if len(p.Children) == 0 {
						lines = append(lines, p.Lines)
					}
					for _, c := range p.Children {
						walk(c)
					}
				}
				walk(m.Part)
				if len(lines) != len(tc.lines) {
					t.Fatalf("lines %v, want %v", lines, tc.lines)
				}
				for i := range lines {
					if lines[i] != tc.lines[i] {
						t.Errorf("lines %v, want %v", lines, tc.lines)
					}
				}
			}
		})
	}
}

func trunc(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if len(s) > 40 {
			s = s[:20] + "..." + s[len(s)-20:]
		}
		out[i] = s
	}
	return out
}

func TestHeaderFields(t *testing.T) {
	raw := []byte("Subject: a\r\n b\r\nX-Y: 1\r\nbroken line\r\nsubject: second\r\nTo: t\r\n\r\n")
	for _, tc := range []struct {
		names []string
		not   bool
		want  string
	}{
		{[]string{"SUBJECT"}, false, "Subject: a\r\n b\r\nsubject: second\r\n\r\n"},
		// A line without a colon is no field of any name: .NOT keeps it
		// (as Dovecot does), a name never selects it, not even "".
		{[]string{"subject", "x-y"}, true, "broken line\r\nTo: t\r\n\r\n"},
		{[]string{""}, false, "\r\n"},
		{[]string{"x-y"}, false, "X-Y: 1\r\n\r\n"},
		{nil, true, "Subject: a\r\n b\r\nX-Y: 1\r\nbroken line\r\nsubject: second\r\nTo: t\r\n\r\n"},
	} {
		if got := string(filterFields(raw, tc.names, tc.not)); got != tc.want {
			t.Errorf("filterFields(%v, %v) = %q, want %q", tc.names, tc.not, got, tc.want)
		}
	}
	// Bare LF header, and a header without blank line (and so without
	// body), whose fetches get no blank line (RFC 9051 §6.4.5).
	if got := string(filterFields([]byte("A: 1\nB: 2\n\n"), []string{"b"}, false)); got != "B: 2\n\n" {
		t.Errorf("bare LF: %q", got)
	}
	if got := string(filterFields([]byte("A: 1\r\nB: 2"), []string{"b"}, false)); got != "B: 2\r\n" {
		t.Errorf("unterminated: %q", got)
	}
	if got := string(filterFields([]byte("A: 1\r\n"), []string{"A"}, true)); got != "" {
		t.Errorf("no body, nothing left: %q", got)
	}
}

// TestPartExtents pins where parts start and end in the cases where
// postbus reads like Dovecot rather than by the strictest reading of RFC
// 2046 (DIFFERENCES.md D2, D4, D5): the line break that ends a nested
// close delimiter line stays in the nested multipart, and only an epilogue
// after it gives its last line break to the next boundary; a header that a
// boundary cuts short, right after its blank line or without one, gives
// its last line break to the enclosing entity. Expectations are Dovecot
// 2.3.19's BODY[n], BODY[n.MIME] and BODY[n.HEADER].
func TestPartExtents(t *testing.T) {
	type extent struct {
		path      []int
		mime      string // BODY[path.MIME], checked when set or when emptyMIME
		emptyMIME bool
		body      string // BODY[path]
		inner     string // BODY[path.HEADER] of a message/rfc822 part
		lines     uint32
		withLines bool
	}
	for _, tc := range []struct {
		name  string
		msg   string
		parts []extent
	}{{
		name: "close delimiters and epilogues",
		msg: crlf("Content-Type: multipart/mixed; boundary=o\n\n" +
			"--o\nContent-Type: multipart/alternative; boundary=a\n\n--a\n\nx\n--a--\n" +
			"--o\nContent-Type: multipart/alternative; boundary=b\n\n--b\n\ny\n--b--\nepilogue\n" +
			"--o\nContent-Type: multipart/alternative; boundary=c\n\n--c\n\nz\n--c--\n\n" +
			"--o\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=m\n\n--m\n\nw\n--m--\n\n\n" +
			"--o--\n"),
		parts: []extent{
			{path: []int{1}, body: "--a\r\n\r\nx\r\n--a--\r\n"},
			{path: []int{1, 1}, body: "x"},
			{path: []int{2}, body: "--b\r\n\r\ny\r\n--b--\r\nepilogue"},
			{path: []int{3}, body: "--c\r\n\r\nz\r\n--c--\r\n"},
			{path: []int{4}, body: "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\n\r\nw\r\n--m--\r\n\r\n",
				inner: "Content-Type: multipart/mixed; boundary=m\r\n\r\n", lines: 7, withLines: true},
		},
	}, {
		name: "headers cut short by a boundary",
		msg: crlf("Content-Type: multipart/mixed; boundary=z\n\n" +
			"--z\nContent-Type: message/rfc822\n\nSubject: x\n" +
			"--z\nContent-Type: text/plain\n\n" +
			"--z\nContent-Type: message/rfc822\n\nSubject: y\n\n" +
			"--z\nContent-Type: text/plain\n" +
			"--z\nContent-Type: message/rfc822\n\n" +
			"--z--\n"),
		parts: []extent{
			{path: []int{1}, mime: "Content-Type: message/rfc822\r\n\r\n", body: "Subject: x\r\n", inner: "Subject: x", lines: 1, withLines: true},
			{path: []int{2}, mime: "Content-Type: text/plain\r\n", body: "", lines: 0, withLines: true},
			{path: []int{3}, mime: "Content-Type: message/rfc822\r\n\r\n", body: "Subject: y\r\n\r\n", inner: "Subject: y\r\n", lines: 2, withLines: true},
			{path: []int{4}, mime: "Content-Type: text/plain", body: ""},
			{path: []int{5}, mime: "Content-Type: message/rfc822\r\n", body: "", inner: "", lines: 0, withLines: true},
		},
	}, {
		name: "multipart without boundary",
		msg:  crlf("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n--o--\n"),
		parts: []extent{
			{path: []int{1}, mime: "Content-Type: multipart/mixed\r\n\r\n", body: "--x\r\n\r\nhi\r\n--x--"},
			{path: []int{1, 1}, emptyMIME: true, body: ""},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := analyze(t, tc.msg)
			for _, e := range tc.parts {
				p := m.Part
				for _, n := range e.path {
					if p.Message != nil {
						p = p.Message
					}
					if n > len(p.Children) {
						t.Fatalf("%v: no part %d", e.path, n)
					}
					p = p.Children[n-1]
				}
				mime := tc.msg[p.HeaderOffset : p.HeaderOffset+p.HeaderLength]
				body := tc.msg[p.BodyOffset : p.BodyOffset+p.BodyLength]
				if (e.mime != "" || e.emptyMIME) && mime != e.mime {
					t.Errorf("%v.MIME = %q, want %q", e.path, mime, e.mime)
				}
				if body != e.body {
					t.Errorf("%v = %q, want %q", e.path, body, e.body)
				}
				if e.withLines && p.Lines != e.lines {
					t.Errorf("%v lines = %d, want %d", e.path, p.Lines, e.lines)
				}
				if p.Message != nil {
					q := p.Message
					if h := tc.msg[q.HeaderOffset : q.HeaderOffset+q.HeaderLength]; h != e.inner {
						t.Errorf("%v.HEADER = %q, want %q", e.path, h, e.inner)
					}
				}
			}
		})
	}
}
