// Package hub is the in-memory publish/subscribe of mailbox change events,
// per user, behind the Watch RPC.
//
// Writers never block on subscribers: Publish merges the event into each
// subscriber's pending set and pokes it with a non-blocking send. Pending
// events are coalesced per mailbox (the highest modseq wins, and the
// mailbox-list flag is or-ed), so a slow subscriber receives fewer, newer
// events but never misses that a mailbox changed: the memory a subscriber
// holds is bounded by the number of the user's mailboxes, and no "resync"
// event is needed. Events carry no message data; subscribers ask Changes.
package hub

import (
	"context"
	"sort"
	"sync"
)

// Event says that a mailbox changed. MailboxID 0 with MailboxesChanged
// means the mailbox list changed without naming a mailbox (subscriptions).
type Event struct {
	MailboxID        uint64
	ModSeq           uint64
	MailboxesChanged bool
}

// Hub routes events to the subscribers of a user. The zero value is not
// usable; call New.
type Hub struct {
	mu struct {
		sync.Mutex
		subs map[string]map[*Sub]struct{}
	}
}

// New returns an empty hub.
func New() *Hub {
	h := &Hub{}
	h.mu.subs = make(map[string]map[*Sub]struct{})
	return h
}

// Sub is one subscription. Use Next to receive and Close to leave.
type Sub struct {
	hub  *Hub
	user string
	poke chan struct{} // capacity 1: "pending is not empty"
	mu   struct {
		sync.Mutex
		pending map[uint64]Event
		closed  bool
	}
}

// Subscribe registers a subscriber for user's events.
func (h *Hub) Subscribe(user string) *Sub {
	s := &Sub{hub: h, user: user, poke: make(chan struct{}, 1)}
	s.mu.pending = make(map[uint64]Event)
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.mu.subs[user]
	if m == nil {
		m = make(map[*Sub]struct{})
		h.mu.subs[user] = m
	}
	m[s] = struct{}{}
	return s
}

// Subscribers reports how many subscriptions user has (for tests).
func (h *Hub) Subscribers(user string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.mu.subs[user])
}

// Publish delivers events to every subscriber of user without blocking.
func (h *Hub) Publish(user string, events ...Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	subs := make([]*Sub, 0, len(h.mu.subs[user]))
	for s := range h.mu.subs[user] {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	for _, s := range subs {
		s.add(events)
	}
}

func (s *Sub) add(events []Event) {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return
	}
	for _, e := range events {
		p := s.mu.pending[e.MailboxID]
		p.MailboxID = e.MailboxID
		p.ModSeq = max(p.ModSeq, e.ModSeq)
		p.MailboxesChanged = p.MailboxesChanged || e.MailboxesChanged
		s.mu.pending[e.MailboxID] = p
	}
	s.mu.Unlock()
	select {
	case s.poke <- struct{}{}:
	default: // already poked; the pending set carries the news
	}
}

// Next waits for events and returns every pending one, ordered by mailbox
// id, or ctx's error when ctx is done first.
func (s *Sub) Next(ctx context.Context) ([]Event, error) {
	for {
		s.mu.Lock()
		if len(s.mu.pending) > 0 {
			out := make([]Event, 0, len(s.mu.pending))
			for _, e := range s.mu.pending {
				out = append(out, e)
			}
			clear(s.mu.pending)
			s.mu.Unlock()
			sort.Slice(out, func(i, j int) bool { return out[i].MailboxID < out[j].MailboxID })
			return out, nil
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.poke:
		}
	}
}

// Close unregisters the subscription. It is idempotent.
func (s *Sub) Close() {
	s.mu.Lock()
	s.mu.closed = true
	s.mu.Unlock()
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.mu.subs[s.user]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.mu.subs, s.user)
		}
	}
}
