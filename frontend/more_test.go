package frontend

import (
	"strings"
	"testing"
)

// appendRaw appends msg to INBOX with LITERAL+ and waits for the OK.
func (r *raw) appendRaw(mailbox, msg string) string {
	r.t.Helper()
	r.send("ap APPEND " + mailbox + " {" + itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	_, tagged := r.until("ap")
	if !strings.HasPrefix(tagged, "ap OK") {
		r.t.Fatalf("APPEND: %q", tagged)
	}
	return tagged
}

func TestBinaryAndSections(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	bad := "Subject: odd\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-martian\r\n\r\nzzz\r\n"
	nul := "Subject: nul\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAGFiYwA=\r\n"
	r.appendRaw("INBOX", bad)
	r.appendRaw("INBOX", nul)
	r.expect("a", "SELECT INBOX", "OK")
	r.expect("b", "FETCH 1 BINARY.PEEK[1]", "NO [UNKNOWN-CTE]")
	r.expect("c", "NOOP", "OK") // the connection survives (Dovecot's does not)
	u := r.expect("d", "FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[1])", "OK")
	if len(u) != 1 || !strings.Contains(u[0], "BINARY[1] ~{5}\r\n\x00abc\x00") || !strings.Contains(u[0], "BINARY.SIZE[1] 5") {
		t.Errorf("BINARY with NUL: %q", u)
	}
	u = r.expect("e", "FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)", "OK")
	if len(u) != 1 || !strings.Contains(u[0], "BODY[HEADER.FIELDS (SUBJECT)] {16}\r\nSubject: nul\r\n\r\n") ||
		!strings.Contains(u[0], "RFC822.SIZE "+itoa(len(nul))) {
		t.Errorf("HEADER.FIELDS: %q", u)
	}
	u = r.expect("f", "UID FETCH 1:* (RFC822.HEADER)", "OK")
	if len(u) != 2 || !strings.Contains(u[0], "UID 1") || !strings.Contains(u[0], "RFC822.HEADER {") {
		t.Errorf("UID FETCH RFC822.HEADER: %q", u)
	}
	u = r.expect("g", "FETCH 1 (BODY BODYSTRUCTURE)", "OK")
	if len(u) != 1 || !strings.Contains(u[0], `BODY ("text" "plain"`) || !strings.Contains(u[0], `BODYSTRUCTURE ("text" "plain"`) {
		t.Errorf("BODY/BODYSTRUCTURE: %q", u)
	}
}

func TestLongLineAndAppendToSelected(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.MaxLineLength = 2000 })
	r := e.rawTLS(t)
	r.login()
	r.expect("a", "NOOP "+strings.Repeat("x", 5000), "BAD")
	r.expect("b", "SELECT INBOX", "OK")
	r.send("c APPEND INBOX {10+}\r\nSubject: \r\n\r\n")
	u, tagged := r.until("c")
	if !strings.HasPrefix(tagged, "c OK [APPENDUID") || !containsLine(u, "* 1 EXISTS") {
		t.Errorf("APPEND to the selected mailbox: %q %q", u, tagged)
	}
	r.expect("d", "COPY 1 INBOX", "OK [COPYUID")
	r.expect("e", "NOOP", "OK")
	u = r.expect("f", "FETCH 2 UID", "OK")
	if !containsLine(u, "* 2 FETCH (UID 2)") {
		t.Errorf("copy into itself: %q", u)
	}
}

func TestListVariants(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.expect("a", `CREATE "Lists/Sent mail" (USE (\Sent))`, "OK")
	r.expect("b", `CREATE Other`, "OK")
	r.expect("c", `SUBSCRIBE "Lists/Sent mail"`, "OK")
	r.expect("d", `SUBSCRIBE Gone`, "OK")
	u := r.expect("e", `LIST "" ""`, "OK")
	if len(u) != 1 || u[0] != `* LIST (\Noselect) "/" ""` {
		t.Errorf("LIST delimiter: %q", u)
	}
	u = r.expect("f", `LIST (SPECIAL-USE) "" "*"`, "OK")
	if !containsLine(u, `\Sent) "/" "Lists/Sent mail"`) || containsLine(u, "Other") {
		t.Errorf("LIST (SPECIAL-USE): %q", u)
	}
	u = r.expect("g", `LIST (SUBSCRIBED) "" "*"`, "OK")
	if !containsLine(u, `(\NonExistent \Subscribed) "/" Gone`) || containsLine(u, "Other") {
		t.Errorf("LIST (SUBSCRIBED): %q", u)
	}
	u = r.expect("h", `LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"`, "OK")
	if !containsLine(u, `"/" Lists ("CHILDINFO" ("SUBSCRIBED"))`) {
		t.Errorf("RECURSIVEMATCH: %q", u)
	}
	u = r.expect("i", `LSUB "" "*"`, "OK")
	if !containsLine(u, `* LSUB () "/" "Lists/Sent mail"`) || !containsLine(u, `* LSUB (\Noselect) "/" Gone`) {
		t.Errorf("LSUB: %q", u)
	}
	u = r.expect("j", `LIST "" "inbox" RETURN (STATUS (MESSAGES SIZE DELETED))`, "OK")
	if !containsLine(u, `* STATUS INBOX (MESSAGES 0 SIZE 0 DELETED 0)`) {
		t.Errorf("LIST-STATUS: %q", u)
	}
	u = r.expect("k", `LIST "Lists/" "%"`, "OK")
	if len(u) != 1 || !strings.Contains(u[0], `"Lists/Sent mail"`) {
		t.Errorf("LIST with reference: %q", u)
	}
	r.appendRaw("INBOX", "Subject: a\r\n\r\nb\r\n")
	r.expect("l", `RENAME INBOX Old`, "OK")
	u = r.expect("m", `STATUS Old (MESSAGES)`, "OK")
	if !containsLine(u, "MESSAGES 1") {
		t.Errorf("RENAME INBOX moved nothing: %q", u)
	}
	u = r.expect("n", `STATUS INBOX (MESSAGES UIDNEXT)`, "OK")
	if !containsLine(u, "MESSAGES 0") {
		t.Errorf("INBOX after RENAME INBOX: %q", u)
	}
	r.expect("o", `LIST (BOGUS) "" "*"`, "BAD")
	r.expect("o2", `RENAME Other Deep/Er/Other`, "OK")
	u = r.expect("o3", `LIST "" "%"`, "OK")
	if !containsLine(u, `\HasChildren) "/" Deep`) {
		t.Errorf("LIST %% after a deep RENAME: %q", u)
	}
	r.expect("p", `RENAME Other INBOX`, "NO")
	r.expect("q", `CREATE X (USE (\Bogus))`, "NO [USEATTR]")
	r.expect("r", `CREATE "a*b"`, "NO [CANNOT]")
	r.expect("s", `RENAME Old "x%"`, "NO [CANNOT]")
}

func TestSaveDateAndIdleShutdown(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.appendRaw("INBOX", "Subject: a\r\n\r\nb\r\n")
	r.expect("a", "SELECT INBOX", "OK")
	u := r.expect("b", "FETCH 1 SAVEDATE", "OK")
	if len(u) != 1 || !strings.HasPrefix(u[0], `* 1 FETCH (SAVEDATE "`) {
		t.Errorf("SAVEDATE: %q", u)
	}
	u = r.expect("b2", "FETCH 1 (PREVIEW (LAZY))", "OK")
	if len(u) != 1 || u[0] != `* 1 FETCH (PREVIEW "b")` {
		t.Errorf("PREVIEW: %q", u)
	}
	u = r.expect("c", "SEARCH SAVEDSINCE 1-Jan-2020 SAVEDBEFORE 1-Jan-2100", "OK")
	if len(u) != 1 || u[0] != "* SEARCH 1" {
		t.Errorf("SEARCH SAVED*: %q", u)
	}
	r.send("d IDLE\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	r.send("nope\r\n")
	if _, tagged := r.until("d"); !strings.HasPrefix(tagged, "d BAD") {
		t.Errorf("IDLE ended by garbage: %q", tagged)
	}
	r.send("e IDLE\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("IDLE: %q", l)
	}
	go e.srv.Shutdown(t.Context())
	if l := r.line(); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("Shutdown during IDLE: %q", l)
	}
}
