package frontend

import (
	"bufio"
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/postbus/postbus/proto/metadatapb"
)

func TestCleartextPort(t *testing.T) {
	e := newEnv(t)
	r := e.rawPlain(t)
	caps := r.expect("a", "CAPABILITY", "OK")
	if !containsLine(caps, "STARTTLS") || !containsLine(caps, "LOGINDISABLED") || containsLine(caps, "AUTH=") {
		t.Errorf("pre-TLS capabilities: %q", caps)
	}
	r.expect("b", "LOGIN "+testUser+` "`+testPassword+`"`, "NO [PRIVACYREQUIRED]")
	r.expect("c", "AUTHENTICATE PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2U=", "NO [PRIVACYREQUIRED]")
	r.expect("d", "ID NIL", "OK")

	// STARTTLS with pipelined plaintext is refused.
	r.send("e STARTTLS\r\nf NOOP\r\n")
	_, tagged := r.until("e")
	if !strings.HasPrefix(tagged, "e BAD") {
		t.Errorf("pipelined STARTTLS: %q", tagged)
	}
	r.until("f")

	r.expect("g", "STARTTLS", "OK")
	tc := tls.Client(r.c, clientTLS)
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	r.c, r.r = tc, bufio.NewReader(tc)
	caps = r.expect("h", "CAPABILITY", "OK")
	if containsLine(caps, "STARTTLS") || !containsLine(caps, "AUTH=PLAIN") || containsLine(caps, "LOGINDISABLED") {
		t.Errorf("post-TLS capabilities: %q", caps)
	}
	r.expect("h2", "AUTHENTICATE PLAIN Ym9iAGFsaWNlAGNvcnJlY3QgaG9yc2U=", "NO [AUTHORIZATIONFAILED]")
	r.expect("h3", "AUTHENTICATE CRAM-MD5", "NO")
	// SASL-IR: \0alice\0correct horse.
	r.expect("i", "AUTHENTICATE PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2U=", "OK")
}

func TestAuthFailures(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.expect("a", "LOGIN alice wrong", "NO [AUTHENTICATIONFAILED]")
	r.expect("b", "LOGIN nobody wrong", "NO [AUTHENTICATIONFAILED]")
	// AUTHENTICATE without initial response, then a wrong password.
	r.send("c AUTHENTICATE PLAIN\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("continuation: %q", l)
	}
	r.send("AGFsaWNlAHdyb25n\r\n")
	untagged, tagged := r.until("c")
	if !strings.HasPrefix(tagged, "c NO [AUTHENTICATIONFAILED]") {
		t.Errorf("third failure: %q", tagged)
	}
	_ = untagged
	if l := r.line(); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("no BYE after too many failures: %q", l)
	}
	if rest, err := r.r.ReadString('\n'); err == nil {
		t.Errorf("connection still open after BYE, got %q", rest)
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.expect("a", "SELECT INBOX", "BAD") // wrong state
	r.expect("b", "FROBNICATE", "BAD")   // unknown command
	r.expect("c", "LOGIN", "BAD")        // missing arguments
	r.expect("d", "UID FETCH 1 FLAGS", "BAD")
	r.login()
	r.expect("e", "FETCH 1 FLAGS", "BAD") // not selected
	r.expect("f", "SELECT INBOX", "OK")
	r.expect("g", "FETCH 1 FLAGS", "BAD") // empty mailbox
	r.expect("h", "FETCH 1:* FLAGS", "OK")
	r.expect("i", "FETCH 0 FLAGS", "BAD")
	r.expect("j", "FETCH 1 (FLAGS", "BAD")
	r.expect("k", "SEARCH CHARSET KOI8-R ALL", "NO [BADCHARSET")
	r.expect("l", "STATUS INBOX (BOGUS)", "BAD")
	r.expect("m", "STATUS Nope (MESSAGES)", "NO [NONEXISTENT]")
	r.expect("n", "SELECT Nope", "NO [NONEXISTENT]")
	r.expect("o", "FETCH 1 FLAGS", "BAD") // the failed SELECT deselected
	r.expect("p", "CREATE INBOX", "NO [ALREADYEXISTS]")
	r.expect("q", "DELETE INBOX", "NO")
	r.expect("r", "NOOP", "OK") // still usable
	r.expect("s", "SEARCH ((((((((((((((((((((((((((((((((((((((((((ALL))))))))))))))))))))))))))))))))))))))))))", "BAD")
	r.expect("t", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)", "BAD") // before ENABLE QRESYNC
	r.expect("u", "FETCH 1:* (NOSUCHITEM)", "BAD")
	r.send("v APPEND INBOX {99999999999}\r\n")
	if _, tagged := r.until("v"); !strings.Contains(tagged, "[TOOBIG]") {
		t.Errorf("huge APPEND: %q", tagged)
	}
	r.send("w SELECT {5}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("synchronising literal: %q", l)
	}
	r.send("INBOX\r\n")
	if _, tagged := r.until("w"); !strings.HasPrefix(tagged, "w OK") {
		t.Errorf("SELECT with literal: %q", tagged)
	}
	r.expect("x", "NOOP "+strings.Repeat("x", 200*1024), "BAD")
	r.expect("y", "NOOP", "OK")
}

func TestAppendEdgeCases(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.MaxLiteral = 1000 })
	r := e.rawTLS(t)
	caps := r.expect("a", "CAPABILITY", "OK")
	if !containsLine(caps, "APPENDLIMIT=1000") {
		t.Errorf("capabilities: %q", caps)
	}
	r.login()
	// Missing mailbox: refused before the continuation.
	r.send("b APPEND Nope {5}\r\n")
	_, tagged := r.until("b")
	if !strings.HasPrefix(tagged, "b NO [TRYCREATE]") {
		t.Errorf("APPEND to missing mailbox: %q", tagged)
	}
	// Oversized literal: refused, connection stays usable.
	r.send("c APPEND INBOX {5000}\r\n")
	_, tagged = r.until("c")
	if !strings.Contains(tagged, "TOOBIG") {
		t.Errorf("oversized APPEND: %q", tagged)
	}
	// MULTIAPPEND with LITERAL+, flags and a date.
	m1, m2 := "Subject: one\r\n\r\nx\r\n", "Subject: two\r\n\r\ny\r\n"
	r.send("d APPEND INBOX (\\Seen) \"01-Feb-2025 10:00:00 +0100\" {" + itoa(len(m1)) + "+}\r\n" + m1 +
		" {" + itoa(len(m2)) + "+}\r\n" + m2 + "\r\n")
	_, tagged = r.until("d")
	if !strings.HasPrefix(tagged, "d OK [APPENDUID ") || !strings.Contains(tagged, " 1:2]") {
		t.Errorf("MULTIAPPEND: %q", tagged)
	}
	r.expect("e", "SELECT INBOX", "OK")
	u := r.expect("f", "FETCH 1 (FLAGS INTERNALDATE)", "OK")
	if !containsLine(u, `\Seen`) || !containsLine(u, `"01-Feb-2025 10:00:00 +0100"`) {
		t.Errorf("FETCH after APPEND: %q", u)
	}
	r.expect("g", "FETCH 3 FLAGS", "BAD")
}

func TestSearchResAndESearch(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	for _, subj := range []string{"alpha", "beta", "alpha beta"} {
		msg := "Subject: " + subj + "\r\n\r\nbody\r\n"
		r.send("a APPEND INBOX {" + itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
		r.until("a")
	}
	r.expect("b", "SELECT INBOX", "OK")
	u := r.expect("c", "SEARCH RETURN (SAVE) SUBJECT alpha", "OK")
	if len(u) != 0 {
		t.Errorf("SAVE alone answered %q", u)
	}
	u = r.expect("d", "FETCH $ (UID)", "OK")
	if len(u) != 2 || !containsLine(u, "* 1 FETCH (UID 1)") || !containsLine(u, "* 3 FETCH (UID 3)") {
		t.Errorf("FETCH $: %q", u)
	}
	u = r.expect("e", "UID SEARCH RETURN (ALL COUNT) NOT $", "OK")
	if len(u) != 1 || u[0] != `* ESEARCH (TAG "e") UID ALL 2 COUNT 1` {
		t.Errorf("ESEARCH: %q", u)
	}
	u = r.expect("f", "SEARCH OR SUBJECT beta 1 UNSEEN", "OK")
	if len(u) != 1 || u[0] != "* SEARCH 1 2 3" {
		t.Errorf("SEARCH OR: %q", u)
	}
	u = r.expect("g", "SEARCH 5:9", "OK")
	if len(u) != 1 || u[0] != "* SEARCH" {
		t.Errorf("SEARCH out of range: %q", u)
	}
}

func TestExamineReadOnly(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	msg := "Subject: x\r\n\r\ny\r\n"
	r.send("a APPEND INBOX {" + itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	r.until("a")
	u := r.expect("b", "EXAMINE INBOX", "OK [READ-ONLY]")
	if !containsLine(u, "PERMANENTFLAGS ()") {
		t.Errorf("EXAMINE: %q", u)
	}
	r.expect("c", "STORE 1 +FLAGS (\\Deleted)", "NO")
	r.expect("d", "FETCH 1 BODY[]", "OK")
	u = r.expect("e", "FETCH 1 FLAGS", "OK")
	if containsLine(u, `\Seen`) {
		t.Errorf("BODY[] in EXAMINE set \\Seen: %q", u)
	}
	r.expect("f", "EXPUNGE", "NO")
	r.expect("g", "CLOSE", "OK")
	r.expect("h", "CLOSE", "BAD")
}

func TestEnableRev2(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.expect("a", "CREATE \"Caf&AOk-\"", "OK")
	u := r.expect("b", "ENABLE IMAP4rev2", "OK")
	if !containsLine(u, "* ENABLED IMAP4rev2") {
		t.Errorf("ENABLE: %q", u)
	}
	u = r.expect("c", `LIST "" "Caf*"`, "OK")
	if !containsLine(u, `"/" Café`) && !containsLine(u, `"/" "Café"`) {
		t.Errorf("LIST in UTF-8 mode: %q", u)
	}
	u = r.expect("d", "SELECT INBOX", "OK")
	if containsLine(u, "RECENT") || !containsLine(u, `* LIST () "/" INBOX`) {
		t.Errorf("rev2 SELECT: %q", u)
	}
	u = r.expect("e", "NAMESPACE", "OK")
	if !containsLine(u, `* NAMESPACE (("" "/")) NIL NIL`) {
		t.Errorf("NAMESPACE: %q", u)
	}
	u = r.expect("e2", "SEARCH ALL", "OK")
	if len(u) != 1 || u[0] != `* ESEARCH (TAG "e2")` {
		t.Errorf("rev2 SEARCH: %q", u)
	}
	r.expect("f", "UNAUTHENTICATE", "OK")
	r.expect("g", "SELECT INBOX", "BAD")
	r.login()
}

// panicky makes one RPC panic, to exercise per-command recovery.
type panicky struct {
	metadatapb.MetadataClient
}

func (p panicky) Search(ctx context.Context, in *metadatapb.SearchRequest, opts ...grpc.CallOption) (*metadatapb.SearchResponse, error) {
	panic("test panic")
}

func TestPanicRecovery(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Metadata = panicky{c.Metadata} })
	r := e.rawTLS(t)
	r.login()
	r.expect("a", "SELECT INBOX", "OK")
	r.expect("b", "SEARCH ALL", "NO [SERVERBUG]")
	r.expect("c", "NOOP", "OK")
}

func TestShutdownSaysBye(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if l := r.line(); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("after Shutdown: %q", l)
	}
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PreAuthTimeout = 200 * time.Millisecond })
	r := e.rawTLS(t)
	if l := r.line(); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("after pre-auth timeout: %q", l)
	}
}

// A client that trickles a command before login is cut off after
// PreAuthTimeout even though it keeps sending.
func TestPreAuthTrickle(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PreAuthTimeout = 300 * time.Millisecond })
	r := e.rawTLS(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			if _, err := r.c.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	if l := r.line(); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("trickling client: %q", l)
	}
	<-done
}
