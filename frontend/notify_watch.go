package frontend

// How Watch events reach a session with NOTIFY active (RFC 5465): besides
// the dirty mark of the selected mailbox (watch.go), the subscription
// collects the watched mailboxes that changed and whether the mailbox
// list did. Like the node's hub it coalesces: a burst of changes to one
// mailbox is one entry, so what is held is bounded by the watched set,
// which the session keeps under its limit (§5.8 NOTIFICATIONOVERFLOW).

// notifyPending is what changed since the session last looked.
type notifyPending struct {
	on bool
	// watch are the mailboxes whose changes are collected; nil collects
	// every mailbox (while NOTIFY SET reads the list: nothing is lost
	// between the read and setNotifyWatch).
	watch  map[uint64]struct{}
	boxes  map[uint64]struct{} // mailboxes with changes
	list   bool                // the mailbox list or subscriptions changed
	resync bool                // events may have been lost: look at everything
}

// setNotify starts (on) or stops collecting. Starting clears what was
// collected before and collects every mailbox until setNotifyWatch.
func (s *watchSub) setNotify(on bool) {
	s.mu.Lock()
	s.mu.notify = notifyPending{on: on}
	s.mu.Unlock()
}

// setNotifyWatch narrows collecting to the watched mailboxes.
func (s *watchSub) setNotifyWatch(watched map[uint64]string) {
	w := make(map[uint64]struct{}, len(watched))
	for id := range watched {
		w[id] = struct{}{}
	}
	s.mu.Lock()
	s.mu.notify.watch = w
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
		_, watched := p.watch[mailbox]
		if mailbox != 0 && (watched || p.watch == nil) {
			if p.boxes == nil {
				p.boxes = make(map[uint64]struct{})
			}
			p.boxes[mailbox] = struct{}{}
		} else if !listChanged {
			s.mu.Unlock()
			return // nothing the session reports: do not wake it
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
	s.mu.notify = notifyPending{on: p.on, watch: p.watch}
	return p
}

// requeueNotify puts back what a failed push could not report, without
// waking the session: it retries on a timer, not in a loop against a
// metadata node that is down.
func (s *watchSub) requeueNotify(f notifyPending) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.mu.notify
	if !p.on {
		return
	}
	p.list = p.list || f.list
	p.resync = p.resync || f.resync
	for id := range f.boxes {
		if p.boxes == nil {
			p.boxes = make(map[uint64]struct{})
		}
		p.boxes[id] = struct{}{}
	}
}
