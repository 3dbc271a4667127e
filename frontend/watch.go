package frontend

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbus/postbus/proto/metadatapb"
)

// watchHub keeps one Metadata.Watch stream per user with open sessions on
// this Server and fans its events out to the sessions (DESIGN.md "Change
// notification is push"). Events carry no data: a session that is told its
// mailbox changed calls Metadata.Changes at its next safe point.
type watchHub struct {
	md  metadatapb.MetadataClient
	log *slog.Logger

	mu struct {
		sync.Mutex
		users  map[string]*userWatch
		closed bool
	}
}

// userWatch is the stream of one user and its subscribers.
type userWatch struct {
	cancel context.CancelFunc
	subs   map[*watchSub]struct{} // guarded by watchHub.mu
}

// watchSub is one session's subscription.
type watchSub struct {
	hub  *watchHub
	user string
	// mailbox is the id of the selected mailbox (0: none); events for other
	// mailboxes only matter to IDLE without a selection, which ignores them.
	mailbox atomic.Uint64
	dirty   atomic.Bool
	// notify gets a token whenever dirty is set; IDLE waits on it.
	notify chan struct{}
	// interrupt ends the session at its next safe point (conn.interrupt);
	// kicked says why: an administrator logged the user out (kick.go).
	interrupt func()
	kicked    atomic.Bool

	mu struct {
		sync.Mutex
		// notify collects, while NOTIFY is active, what changed beyond
		// the selected mailbox (notify_watch.go).
		notify notifyPending
	}
}

func newWatchHub(md metadatapb.MetadataClient, log *slog.Logger) *watchHub {
	h := &watchHub{md: md, log: log}
	h.mu.users = make(map[string]*userWatch)
	return h
}

// subscribe registers a session of user, starting the user's stream if it
// is the first one. interrupt (may be nil) is how a logout event ends the
// session (kick.go).
func (h *watchHub) subscribe(user string, interrupt func()) *watchSub {
	s := &watchSub{hub: h, user: user, notify: make(chan struct{}, 1), interrupt: interrupt}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mu.closed {
		return s
	}
	uw := h.mu.users[user]
	if uw == nil {
		ctx, cancel := context.WithCancel(context.Background())
		uw = &userWatch{cancel: cancel, subs: make(map[*watchSub]struct{})}
		h.mu.users[user] = uw
		go h.run(ctx, user, uw)
	}
	uw.subs[s] = struct{}{}
	return s
}

func (s *watchSub) unsubscribe() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	uw := h.mu.users[s.user]
	if uw == nil {
		return
	}
	delete(uw.subs, s)
	if len(uw.subs) == 0 {
		uw.cancel()
		delete(h.mu.users, s.user)
	}
}

func (s *watchSub) markDirty() {
	s.dirty.Store(true)
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// takeDirty reports and clears the dirty mark.
func (s *watchSub) takeDirty() bool { return s.dirty.Swap(false) }

// run keeps the user's stream open until cancelled, reconnecting with a
// backoff. After every (re)connection all subscribers are marked dirty:
// events may have been missed while the stream was down.
func (h *watchHub) run(ctx context.Context, user string, uw *userWatch) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		stream, err := h.md.Watch(ctx, &metadatapb.WatchRequest{User: user})
		if err == nil {
			// The node sends the header once this subscription is
			// registered; only then does a catch-up (every session
			// calls Changes) cover everything committed before it.
			_, err = stream.Header()
		}
		if err == nil {
			h.broadcast(uw, 0, false, true)
			for {
				ev, rerr := stream.Recv()
				if rerr != nil {
					err = rerr
					break
				}
				backoff = 100 * time.Millisecond
				if ev.Logout {
					h.logout(user, uw)
					continue
				}
				h.broadcast(uw, ev.MailboxId, ev.MailboxesChanged, false)
			}
		}
		if ctx.Err() != nil {
			return
		}
		h.log.Debug("frontend: watch stream ended, reconnecting", "user", user, "err", rpcErr(err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// broadcast tells the subscribers of uw that mailbox changed (and, with
// listChanged, the mailbox list); all means anything may have changed (the
// stream was down).
func (h *watchHub) broadcast(uw *userWatch, mailbox uint64, listChanged, all bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range uw.subs {
		if all || s.mailbox.Load() == mailbox {
			s.markDirty()
		}
		s.noteNotify(mailbox, listChanged, all)
	}
}

// close stops every stream (Server.Shutdown).
func (h *watchHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mu.closed = true
	for u, uw := range h.mu.users {
		uw.cancel()
		delete(h.mu.users, u)
	}
}
