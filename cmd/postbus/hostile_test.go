package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// rawConn is a line-oriented IMAP connection for transcript tests.
type rawConn struct {
	t *testing.T
	c *tls.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, s *server) *rawConn {
	t.Helper()
	c, err := tls.Dial("tcp", s.imaps, s.tlsConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &rawConn{t: t, c: c, r: bufio.NewReader(c)}
	if g := rc.line(); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting %q", g)
	}
	return rc
}

func (rc *rawConn) send(s string) {
	rc.t.Helper()
	rc.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := rc.c.Write([]byte(s)); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

func (rc *rawConn) line() string {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := rc.r.ReadString('\n')
	if err != nil {
		rc.t.Fatalf("read: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// until reads lines until one starts with prefix and returns it.
func (rc *rawConn) until(prefix string) string {
	rc.t.Helper()
	for {
		if l := rc.line(); strings.HasPrefix(l, prefix) {
			return l
		}
	}
}

// TestHostileInput: malformed, huge and deeply nested commands each get a
// tagged BAD (or NO) and the connection stays usable; the server survives.
func TestHostileInput(t *testing.T) {
	s := startServer(t, "")
	addUser(t, s.data, "mallory", "pw")
	rc := dialRaw(t, s)
	cases := []struct {
		send, wantPrefix string
	}{
		{"a1 FROBNICATE\r\n", "a1 BAD"},
		{"a2 LOGIN\r\n", "a2 BAD"},
		{"a3 SELECT INBOX\r\n", "a3 BAD"}, // not authenticated yet
		{"a4 LOGIN mallory pw\r\n", "a4 OK"},
		{"a5 FETCH 1 (FLAGS)\r\n", "a5 BAD"}, // nothing selected
		{"a6 SELECT INBOX\r\n", "a6 OK"},
		{"a7 FETCH 0 (FLAGS)\r\n", "a7 BAD"},
		{"a8 FETCH 1:* (NOSUCHITEM)\r\n", "a8 BAD"},
		{"a9 SEARCH (((((((((((((((((((((((((((((((((((((((((ALL)))))))))))))))))))))))))))))))))))))))))\r\n", "a9 BAD"},
		{"a10 SEARCH FROM\r\n", "a10 BAD"},
		{"a11 STORE 1 +FLAGS (\\Seen\r\n", "a11 BAD"},
		{"a12 APPEND INBOX {99999999999}\r\n", "a12 "}, // NO or BAD [TOOBIG], never a continuation
		{"a13 SELECT {5}\r\n", "+"},                    // small sync literal: continuation
		{"INBOX\r\n", "a13 OK"},
		{"a14 UID FETCH 1:* (FLAGS) (CHANGEDSINCE x)\r\n", "a14 BAD"},
		{"a15 NOOP\r\n", "a15 OK"},
	}
	for _, c := range cases {
		rc.send(c.send)
		got := rc.until(strings.Fields(c.wantPrefix)[0])
		if !strings.HasPrefix(got, c.wantPrefix) {
			t.Errorf("sent %q: got %q, want prefix %q", c.send, got, c.wantPrefix)
		}
		if strings.HasPrefix(c.send, "a12 ") && !strings.Contains(got, "TOOBIG") {
			t.Errorf("oversized APPEND: %q lacks [TOOBIG]", got)
		}
	}

	// A command line far over the limit is refused without buffering it.
	rc.send("b1 NOOP " + strings.Repeat("x", 200*1024) + "\r\n")
	if got := rc.until("b1"); !strings.HasPrefix(got, "b1 BAD") {
		t.Errorf("huge line: %q", got)
	}
	rc.send("b2 NOOP\r\n")
	if got := rc.until("b2"); !strings.HasPrefix(got, "b2 OK") {
		t.Errorf("after huge line: %q", got)
	}

	// Random garbage on other connections never takes the server down.
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		g := dialRaw(t, s)
		buf := make([]byte, 1+rng.Intn(2048))
		rng.Read(buf)
		g.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		g.c.Write(buf)
		g.c.Write([]byte("\r\n"))
		g.c.Close()
	}
	fresh := dialRaw(t, s)
	fresh.send("c1 LOGIN mallory pw\r\n")
	if got := fresh.until("c1"); !strings.HasPrefix(got, "c1 OK") {
		t.Fatalf("server unusable after garbage: %q\n%s", got, s.stderr)
	}
	if strings.Contains(s.stderr.String(), "panic") {
		t.Fatalf("server logged a panic:\n%s", s.stderr)
	}
}

// TestAuthFailureLimit: after repeated failed logins the server says BYE.
func TestAuthFailureLimit(t *testing.T) {
	s := startServer(t, "")
	addUser(t, s.data, "oscar", "right")
	rc := dialRaw(t, s)
	for i := 1; ; i++ {
		tag := fmt.Sprintf("f%d", i)
		rc.send(tag + " LOGIN oscar wrong\r\n")
		got := rc.line()
		if strings.HasPrefix(got, "* BYE") {
			if i < 2 {
				t.Fatalf("BYE after only %d failure(s)", i)
			}
			return
		}
		if !strings.HasPrefix(got, tag+" NO") || !strings.Contains(got, "AUTHENTICATIONFAILED") {
			t.Fatalf("failed login %d: %q", i, got)
		}
		if i > 10 {
			t.Fatal("no BYE after 10 failed logins")
		}
	}
}
