package frontend

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

const utf8HeaderMsg = "From: Jürgen <j@example.com>\r\nSubject: Grüße aus Köln\r\n\r\nHallo.\r\n"

func TestUTF8AcceptNames(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	if caps := r.expect("a", "CAPABILITY", "OK"); !containsLine(caps, " UTF8=ACCEPT") {
		t.Errorf("capabilities: %q", caps)
	}
	r.expect("b", "ENABLE UTF8=ACCEPT", "BAD") // RFC 6855 §3: authenticated state only
	r.login()

	// Before ENABLE: modified UTF-7 out, and "&" starts a shift.
	r.expect("c", `CREATE "&ANw-n&AO8-code"`, "OK")
	r.expect("d", `CREATE "R&D"`, "BAD")
	if l := r.expect("e", `LIST "" "*"`, "OK"); !containsLine(l, `&ANw-n&AO8-code`) || containsLine(l, "Ünïcode") {
		t.Fatalf("LIST before ENABLE: %q", l)
	}

	if l := r.expect("f", "ENABLE UTF8=ACCEPT", "OK"); len(l) != 1 || l[0] != "* ENABLED UTF8=ACCEPT" {
		t.Fatalf("ENABLE: %q", l)
	}
	// RFC 5161 §3.1: ENABLED lists only what this command newly enabled.
	if l := r.expect("g", "ENABLE UTF8=ACCEPT", "OK"); len(l) != 1 || l[0] != "* ENABLED" {
		t.Fatalf("second ENABLE: %q", l)
	}

	// After: UTF-8 in quoted strings both ways (RFC 6855 §3), "&" is a
	// plain character.
	r.expect("h", `CREATE "Grüße/Straße"`, "OK")
	r.expect("i", `CREATE "R&D"`, "OK")
	list := r.expect("j", `LIST "" "*"`, "OK")
	for _, want := range []string{`"Ünïcode"`, `"Grüße/Straße"`, ` R&D`} {
		if !containsLine(list, want) {
			t.Errorf("LIST after ENABLE lacks %s: %q", want, list)
		}
	}
	if containsLine(list, "&ANw-") || containsLine(list, "{") {
		t.Errorf("LIST after ENABLE: modified UTF-7 or a literal: %q", list)
	}
	if l := r.expect("k", `SELECT "Grüße/Straße"`, "OK"); !containsLine(l, "EXISTS") {
		t.Errorf("SELECT: %q", l)
	}
	if l := r.expect("l", `STATUS "Ünïcode" (MESSAGES)`, "OK"); !containsLine(l, `* STATUS "Ünïcode" (MESSAGES 0)`) {
		t.Errorf("STATUS: %q", l)
	}
	r.expect("m", `RENAME "Ünïcode" "Ωmega"`, "OK")
	if l := r.expect("n", `LIST "" "Ω*"`, "OK"); len(l) != 1 || !strings.HasSuffix(l[0], `"Ωmega"`) {
		t.Errorf("LIST pattern: %q", l)
	}
	// Invalid UTF-8 is BAD (RFC 6855 §3), a control character NO.
	r.expect("o", "CREATE \"bad\xff\xfe\"", "BAD")
	r.expect("p", "CREATE \"bad\u0085\"", "NO")
	r.expect("p2", "CREATE \"line\u2028break\"", "NO [CANNOT]")
	r.expect("q", "ENABLE IMAP4rev2", "BAD") // selected: ENABLE is refused

	// UNAUTHENTICATE ends the extension (RFC 8437 §3).
	r.expect("r", "UNAUTHENTICATE", "OK")
	r.login()
	if l := r.expect("s", `LIST "" "*"`, "OK"); !containsLine(l, "Gr&APwA3w-e/Stra&AN8-e") || !containsLine(l, "R&-D") || containsLine(l, "Grüße") {
		t.Errorf("LIST after UNAUTHENTICATE: %q", l)
	}
	r.expect("t", "SELECT INBOX", "OK")
	r.expect("u", "SEARCH CHARSET UTF-8 ALL", "OK")
}

func TestUTF8AcceptSearchCharset(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.expect("a", "ENABLE UTF8=ACCEPT", "OK")
	r.expect("b", fmt.Sprintf("APPEND INBOX UTF8 (~{%d+}\r\n%s)", len(utf8HeaderMsg), utf8HeaderMsg), "OK")
	r.expect("c", "SELECT INBOX", "OK")
	// RFC 6855 §3: SEARCH with a CHARSET is BAD once UTF8=ACCEPT is on.
	for _, cmd := range []string{
		"SEARCH CHARSET UTF-8 ALL",
		"SEARCH CHARSET US-ASCII SUBJECT x",
		"UID SEARCH CHARSET UTF-8 ALL",
		"SEARCH RETURN (COUNT) CHARSET UTF-8 ALL",
	} {
		r.expect("d", cmd, "BAD [CLIENTBUG]")
	}
	// Without CHARSET the search strings are UTF-8.
	if l := r.expect("e", `SEARCH SUBJECT "grüße"`, "OK"); len(l) != 1 || l[0] != "* SEARCH 1" {
		t.Errorf("SEARCH SUBJECT: %q", l)
	}
	if l := r.expect("f", `SEARCH FROM "Jürgen"`, "OK"); len(l) != 1 || l[0] != "* SEARCH 1" {
		t.Errorf("SEARCH FROM: %q", l)
	}
	l := r.expect("g", "FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]", "OK")
	if !containsLine(l, "Subject: Grüße aus Köln") {
		t.Errorf("FETCH header: %q", l)
	}
}

// RFC 6855 §4 APPEND: the UTF8 data item needs UTF8=ACCEPT; without any
// UTF-8 support, an 8-bit header is refused with NO.
func TestUTF8AcceptAppend(t *testing.T) {
	e := newEnv(t)
	body8 := "Subject: plain\r\n\r\nKöln im Text ist erlaubt.\r\n"
	for _, tc := range []struct {
		name   string
		enable string // "" for none
		in     string
		want   string
	}{
		{"utf8 item before enable", "", fmt.Sprintf("APPEND INBOX UTF8 (~{%d+}\r\n%s)", len(utf8HeaderMsg), utf8HeaderMsg), "BAD [CLIENTBUG]"},
		{"8-bit header before enable", "", fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(utf8HeaderMsg), utf8HeaderMsg), "NO [CANNOT]"},
		{"8-bit header second of two", "", fmt.Sprintf("APPEND INBOX {%d+}\r\n%s {%d+}\r\n%s", len(body8), body8, len(utf8HeaderMsg), utf8HeaderMsg), "NO [CANNOT]"},
		{"8-bit body before enable", "", fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(body8), body8), "OK"},
		{"8-bit header with IMAP4rev2", "IMAP4rev2", fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(utf8HeaderMsg), utf8HeaderMsg), "OK"},
		{"utf8 item with IMAP4rev2 only", "IMAP4rev2", fmt.Sprintf("APPEND INBOX UTF8 (~{%d+}\r\n%s)", len(utf8HeaderMsg), utf8HeaderMsg), "BAD [CLIENTBUG]"},
		{"utf8 item", "UTF8=ACCEPT", fmt.Sprintf("APPEND INBOX (\\Seen) UTF8 (~{%d+}\r\n%s)", len(utf8HeaderMsg), utf8HeaderMsg), "OK [APPENDUID"},
		{"8-bit header plain literal after enable", "UTF8=ACCEPT", fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(utf8HeaderMsg), utf8HeaderMsg), "OK"},
		{"utf8 item and plain", "UTF8=ACCEPT", fmt.Sprintf("APPEND INBOX UTF8 (~{%d+}\r\n%s) {%d+}\r\n%s", len(utf8HeaderMsg), utf8HeaderMsg, len(body8), body8), "OK"},
		{"utf8 item not literal8", "UTF8=ACCEPT", fmt.Sprintf("APPEND INBOX UTF8 ({%d+}\r\n%s)", len(utf8HeaderMsg), utf8HeaderMsg), "BAD"},
		{"utf8 item unclosed", "UTF8=ACCEPT", fmt.Sprintf("APPEND INBOX UTF8 (~{%d+}\r\n%s", len(utf8HeaderMsg), utf8HeaderMsg), "BAD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.rawTLS(t)
			r.login()
			if tc.enable != "" {
				r.expect("e", "ENABLE "+tc.enable, "OK")
			}
			before := r.expect("s", "STATUS INBOX (MESSAGES)", "OK")
			r.expect("x", tc.in, tc.want)
			// The session goes on, and a refused APPEND stored nothing.
			after := r.expect("s", "STATUS INBOX (MESSAGES)", "OK")
			if !strings.HasPrefix(tc.want, "OK") && strings.Join(before, "") != strings.Join(after, "") {
				t.Errorf("refused APPEND changed the mailbox: %q → %q", before, after)
			}
		})
	}

	// A synchronising UTF8 literal before ENABLE gets its BAD instead of
	// the continuation: the client sends nothing more.
	r := e.rawTLS(t)
	r.login()
	r.send(fmt.Sprintf("a APPEND INBOX UTF8 (~{%d}\r\n", len(utf8HeaderMsg)))
	if l := r.line(); !strings.HasPrefix(l, "a BAD [CLIENTBUG]") {
		t.Fatalf("sync UTF8 literal before ENABLE: %q", l)
	}
	r.expect("b", "NOOP", "OK")
	// After ENABLE the same command gets its continuation.
	r.expect("c", "ENABLE UTF8=ACCEPT", "OK")
	r.send(fmt.Sprintf("d APPEND INBOX UTF8 (~{%d}\r\n", len(utf8HeaderMsg)))
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("continuation: %q", l)
	}
	r.send(utf8HeaderMsg + ")\r\n")
	if _, tagged := r.until("d"); !strings.HasPrefix(tagged, "d OK [APPENDUID") {
		t.Fatalf("APPEND UTF8: %q", tagged)
	}
}

// go-imap's client, written independently of postbus, after ENABLE
// UTF8=ACCEPT: UTF-8 names both ways, SEARCH without CHARSET.
func TestUTF8AcceptImapclient(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	data, err := c.Enable(imap.CapUTF8Accept).Wait()
	if err != nil || !data.Caps.Has(imap.CapUTF8Accept) {
		t.Fatalf("ENABLE: %v %+v", err, data)
	}
	if err := c.Create("Grüße/Ωmega", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if got := names(list); !slices.Contains(got, "Grüße/Ωmega") || !slices.Contains(got, "Grüße") {
		t.Fatalf("LIST: %q", got)
	}
	if _, err := c.Select("Grüße/Ωmega", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	appendMsg(t, c, "Grüße/Ωmega", utf8HeaderMsg)
	res, err := c.Search(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "köln"}}}, nil).Wait()
	if err != nil || len(res.AllSeqNums()) != 1 {
		t.Fatalf("SEARCH: %v %+v", err, res)
	}
}
