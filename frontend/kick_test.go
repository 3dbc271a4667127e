package frontend

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/postbus/postbus/proto/metadatapb"
)

// kickWatch replaces alice's Watch streams with ones the test feeds.
type kickWatch struct {
	metadatapb.MetadataClient
	mu      sync.Mutex
	streams []*fedStream
}

type fedStream struct {
	grpc.ServerStreamingClient[metadatapb.ChangeEvent]
	ctx    context.Context
	events chan *metadatapb.ChangeEvent
}

func (f *fedStream) Header() (metadata.MD, error) { return nil, nil }

func (f *fedStream) Recv() (*metadatapb.ChangeEvent, error) {
	select {
	case ev := <-f.events:
		return ev, nil
	case <-f.ctx.Done():
		return nil, io.EOF
	}
}

func (k *kickWatch) Watch(ctx context.Context, in *metadatapb.WatchRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[metadatapb.ChangeEvent], error) {
	if in.User != testUser {
		return k.MetadataClient.Watch(ctx, in, opts...)
	}
	s := &fedStream{ctx: ctx, events: make(chan *metadatapb.ChangeEvent, 1)}
	k.mu.Lock()
	k.streams = append(k.streams, s)
	k.mu.Unlock()
	return s, nil
}

func (k *kickWatch) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.streams)
}

// TestKick: a logout event ends every session of the user, one waiting
// for a command and one in IDLE, with BYE [UNAVAILABLE]; another user's
// session and later logins are unaffected.
func TestKick(t *testing.T) {
	kw := &kickWatch{}
	e := newEnv(t, func(c *Config) { kw.MetadataClient = c.Metadata; c.Metadata = kw })
	waiting, idling := e.rawTLS(t), e.rawTLS(t)
	waiting.login()
	idling.login()
	idling.expect("s", "SELECT INBOX", "OK")
	idling.send("i IDLE\r\n")
	if l := idling.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	bob := e.rawTLS(t)
	bob.expect("L", "LOGIN bob \""+testPassword+"\"", "OK")
	waitFor(t, func() bool { return kw.count() == 1 }, "alice's watch stream")

	kw.mu.Lock()
	kw.streams[0].events <- &metadatapb.ChangeEvent{Logout: true}
	kw.mu.Unlock()
	for name, r := range map[string]*raw{"waiting": waiting, "idling": idling} {
		var l string
		for l = r.line(); !strings.HasPrefix(l, "* BYE"); l = r.line() {
		}
		if l != "* BYE [UNAVAILABLE] logged out by an administrator" {
			t.Errorf("%s session: %q", name, l)
		}
		r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if rest, err := io.ReadAll(r.r); err != nil || len(rest) != 0 {
			t.Errorf("%s session after BYE: %q, %v (want EOF)", name, rest, err)
		}
	}
	bob.expect("n", "NOOP", "OK")
	again := e.rawTLS(t)
	again.login()
	again.expect("n", "NOOP", "OK")
}
