package frontend

// How Watch events reach a session with NOTIFY active (RFC 5465): besides
// the dirty mark of the selected mailbox (watch.go), the subscription
// collects the other mailboxes that changed and whether the mailbox list
// did. Like the node's hub it coalesces: a burst of changes to one
// mailbox is one entry, so the memory held is bounded by the number of
// the user's mailboxes, and above the session's limit it gives up
// (§5.8 NOTIFICATIONOVERFLOW) rather than grow.

// notifyPending is what changed since the session last looked.
type notifyPending struct {
	on       bool
	limit    int                 // most mailboxes pending before overflow
	boxes    map[uint64]struct{} // mailboxes with changes
	list     bool                // the mailbox list or subscriptions changed
	resync   bool                // events may have been lost: look at everything
	overflow bool
}

// setNotify starts (on) or stops collecting. Starting clears what was
// collected before.
func (s *watchSub) setNotify(on bool, limit int) {
	s.mu.Lock()
	s.mu.notify = notifyPending{on: on, limit: limit}
	s.mu.Unlock()
}

// noteNotify records an event (watchHub.broadcast) and wakes the session.
func (s *watchSub) noteNotify(mailbox uint64, listChanged, all bool) {
	s.mu.Lock()
	p := &s.mu.notify
	if !p.on {
		s.mu.Unlock()
		return
	}
	switch {
	case all:
		p.resync = true
	default:
		p.list = p.list || listChanged
		if mailbox != 0 {
			if p.boxes == nil {
				p.boxes = make(map[uint64]struct{})
			}
			p.boxes[mailbox] = struct{}{}
			if len(p.boxes) > p.limit {
				p.overflow = true
				p.boxes = nil
			}
		}
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// takeNotify returns and clears what was collected; collecting goes on.
func (s *watchSub) takeNotify() notifyPending {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.mu.notify
	s.mu.notify = notifyPending{on: p.on, limit: p.limit}
	return p
}

// requeueNotify puts back what a failed push could not report.
func (s *watchSub) requeueNotify(p notifyPending) {
	for id := range p.boxes {
		s.noteNotify(id, false, false)
	}
	if p.list || p.resync {
		s.noteNotify(0, p.list, p.resync)
	}
}
