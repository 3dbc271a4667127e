package frontend

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/postbus/postbus/proto/metadatapb"
)

// countingWatch counts open Watch streams.
type countingWatch struct {
	metadatapb.MetadataClient
	open, total *atomic.Int32
}

func (c countingWatch) Watch(ctx context.Context, in *metadatapb.WatchRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[metadatapb.ChangeEvent], error) {
	s, err := c.MetadataClient.Watch(ctx, in, opts...)
	if err == nil {
		c.open.Add(1)
		c.total.Add(1)
		go func() { <-ctx.Done(); c.open.Add(-1) }()
	}
	return s, err
}

func TestOneWatchStreamPerUser(t *testing.T) {
	var open, total atomic.Int32
	e := newEnv(t, func(c *Config) { c.Metadata = countingWatch{c.Metadata, &open, &total} })
	a1, a2 := e.rawTLS(t), e.rawTLS(t)
	a1.login()
	a2.login()
	b := e.rawTLS(t)
	b.expect("L", "LOGIN bob \""+testPassword+"\"", "OK")
	waitFor(t, func() bool { return open.Load() == 2 }, "two streams (alice, bob)")
	if n := total.Load(); n != 2 {
		t.Errorf("%d streams opened for 3 sessions of 2 users", n)
	}
	a1.expect("x", "LOGOUT", "OK")
	a2.expect("x", "LOGOUT", "OK")
	waitFor(t, func() bool { return open.Load() == 1 }, "alice's stream closed")
}

// waitFor polls cond; the deadline only bounds a broken run.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestSelectedMailboxDeleted(t *testing.T) {
	e := newEnv(t)
	a, b := e.rawTLS(t), e.rawTLS(t)
	a.login()
	b.login()
	a.expect("a", "CREATE Work", "OK")
	a.expect("b", "SELECT Work", "OK")
	b.expect("c", "DELETE Work", "OK")
	a.send("d NOOP\r\n")
	if l := a.line(); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("NOOP on a deleted mailbox: %q", l)
	}

	// Deleting one's own selected mailbox closes it.
	b.expect("e", "CREATE Mine", "OK")
	b.expect("f", "SELECT Mine", "OK")
	u := b.expect("g", "DELETE Mine", "OK")
	if !containsLine(u, "[CLOSED]") {
		t.Errorf("DELETE of the selected mailbox: %q", u)
	}
	b.expect("h", "FETCH 1 FLAGS", "BAD")
}

func TestMoveTranscript(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	for i := 0; i < 3; i++ {
		r.appendRaw("INBOX", "Subject: m\r\n\r\nx\r\n")
	}
	r.expect("a", "CREATE Dest", "OK")
	r.expect("b", "SELECT INBOX", "OK")
	u := r.expect("c", "MOVE 2:3 Dest", "OK")
	want := []string{"* OK [COPYUID ", "* 2 EXPUNGE", "* 2 EXPUNGE"}
	if len(u) != 3 {
		t.Fatalf("MOVE: %q", u)
	}
	for i, w := range want {
		if !strings.HasPrefix(u[i], w) {
			t.Errorf("MOVE line %d = %q, want %q", i, u[i], w)
		}
	}
	if !strings.Contains(u[0], " 2:3 1:2]") {
		t.Errorf("COPYUID: %q", u[0])
	}
	u = r.expect("d", "UID MOVE 1 Nope", "NO [TRYCREATE]")
	if len(u) != 0 {
		t.Errorf("failed MOVE said %q", u)
	}
	r.expect("e", "EXAMINE INBOX", "OK")
	r.expect("f", "MOVE 1 Dest", "NO")
}

func TestInsecureAuthOption(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.InsecureAuth = true })
	r := e.rawPlain(t)
	caps := r.expect("a", "CAPABILITY", "OK")
	if !containsLine(caps, "AUTH=PLAIN") || containsLine(caps, "LOGINDISABLED") || !containsLine(caps, "STARTTLS") {
		t.Errorf("capabilities with InsecureAuth: %q", caps)
	}
	r.login()
	u := r.expect("b", "ID (\"name\" \"test\")", "OK")
	if !containsLine(u, `* ID ("name" "postbus" "version" "`+Version+`")`) {
		t.Errorf("ID: %q", u)
	}
	r.expect("c", "STARTTLS", "BAD") // only before login
}
