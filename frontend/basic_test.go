package frontend

import (
	"strconv"
	"strings"
	"testing"
)

func TestGreetingAndLogin(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	caps := r.expect("a", "CAPABILITY", "OK")
	if !containsLine(caps, "AUTH=PLAIN") || containsLine(caps, "LOGINDISABLED") {
		t.Errorf("TLS capabilities: %q", caps)
	}
	r.login()
	r.expect("b", "NOOP", "OK")
	u := r.expect("c", "LOGOUT", "OK")
	if !containsLine(u, "* BYE") {
		t.Errorf("LOGOUT without BYE: %q", u)
	}
}

func TestAppendSelectFetchRaw(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	msg := "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: hello\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nHi Alice\r\n"
	r.send("a APPEND INBOX (\\Flagged) {" + itoa(len(msg)) + "}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("continuation: %q", l)
	}
	r.send(msg + "\r\n")
	_, tagged := r.until("a")
	if !strings.HasPrefix(tagged, "a OK [APPENDUID ") {
		t.Fatalf("APPEND: %q", tagged)
	}
	u := r.expect("b", "SELECT INBOX", "OK [READ-WRITE]")
	if !containsLine(u, "* 1 EXISTS") {
		t.Errorf("SELECT: %q", u)
	}
	u = r.expect("c", "FETCH 1 (FLAGS ENVELOPE BODY.PEEK[HEADER.FIELDS (Subject)] BODY[TEXT])", "OK")
	all := strings.Join(u, "\n")
	for _, want := range []string{`"hello"`, "Subject: hello", "Hi Alice", `\Flagged`, `\Seen`} {
		if !strings.Contains(all, want) {
			t.Errorf("FETCH missing %q in %q", want, all)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
