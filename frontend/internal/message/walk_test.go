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
