package frontend

import (
	"strings"
	"testing"
)

// TestRecentForNewMessages: a message arriving while a read-write session
// has the mailbox selected is \Recent for that session, which is told
// "* n RECENT" with EXISTS; not for a session selecting later, and never
// claimed by EXAMINE (RFC 3501 §2.3.2, §7.3.2).
func TestRecentForNewMessages(t *testing.T) {
	e := newEnv(t)
	a, b, ex := e.rawTLS(t), e.rawTLS(t), e.rawTLS(t)
	for _, r := range []*raw{a, b, ex} {
		r.login()
	}
	a.expect("a1", "SELECT INBOX", "OK")
	ex.expect("x1", "EXAMINE INBOX", "OK")
	msg := "Subject: r\r\n\r\nhi\r\n"
	b.expect("b1", "APPEND INBOX {"+itoa(len(msg))+"+}\r\n"+msg, "OK")

	// EXAMINE sees the message but must not take its \Recent.
	untagged := ex.expect("x2", "NOOP", "OK")
	if !containsLine(untagged, "* 1 EXISTS") {
		t.Fatalf("EXAMINE session not told of the new message: %q", untagged)
	}
	untagged = a.expect("a2", "NOOP", "OK")
	if !containsLine(untagged, "* 1 EXISTS") || !containsLine(untagged, "* 1 RECENT") {
		t.Fatalf("selected session after APPEND: %q, want EXISTS 1 and RECENT 1", untagged)
	}
	untagged = a.expect("a3", "FETCH 1 (FLAGS)", "OK")
	if !containsLine(untagged, `\Recent`) {
		t.Fatalf("FETCH FLAGS %q lacks \\Recent", untagged)
	}
	untagged = ex.expect("x3", "FETCH 1 (FLAGS)", "OK")
	if containsLine(untagged, `\Recent`) {
		t.Fatalf("EXAMINE session sees \\Recent: %q", untagged)
	}
	// Claimed once: a session selecting now gets none.
	untagged = b.expect("b2", "SELECT INBOX", "OK")
	if !containsLine(untagged, "* 0 RECENT") {
		t.Fatalf("second SELECT: %q, want 0 RECENT", untagged)
	}
	for _, l := range untagged {
		if strings.Contains(l, `\Recent`) && strings.Contains(l, "FETCH") {
			t.Fatalf("second session got \\Recent: %q", l)
		}
	}
}
