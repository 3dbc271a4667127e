package frontend

import (
	"slices"
	"strings"

	"github.com/postbus/postbus/proto/metadatapb"
)

// notifyState is what a session's NOTIFY SET asked for and what it has
// told the client since. Owned by the session goroutine.
type notifyState struct {
	spec *notifySpec
	list *mailboxList // the mailbox list as last reported
	// watched maps the mailboxes with message events (other than through
	// SELECTED) to their names; recomputed whenever list changes.
	watched map[uint64]string
	// seen holds the counters last reported (or known to the client) per
	// watched mailbox: a change event leads to a STATUS only when they
	// moved (RFC 5465 §5.1: no STATUS for a change it would not show).
	seen map[uint64]statusVals
}

func newNotifyState(spec *notifySpec, list *mailboxList) *notifyState {
	return &notifyState{spec: spec, list: list, seen: make(map[uint64]statusVals)}
}

// computeWatched derives watched from list and the spec. SUBSCRIBED is
// re-evaluated here, so a subscription change moves mailboxes in and out
// (RFC 5465 §6.4).
func (n *notifyState) computeWatched() {
	n.watched = make(map[uint64]string)
	for id, mb := range n.list.byID {
		if n.spec.eventsFor(mb.Name, n.list.subscribed[mb.Name]).messages {
			n.watched[id] = mb.Name
		}
	}
	for id := range n.seen {
		if _, ok := n.watched[id]; !ok {
			delete(n.seen, id)
		}
	}
}

// watchedIDs returns the watched mailboxes in name order (STATUS
// responses come out in a stable order).
func (n *notifyState) watchedIDs() []uint64 {
	ids := make([]uint64, 0, len(n.watched))
	for id := range n.watched {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uint64) int { return strings.Compare(n.watched[a], n.watched[b]) })
	return ids
}

// mailboxList is a snapshot of the user's mailboxes and subscriptions.
type mailboxList struct {
	byID       map[uint64]*metadatapb.Mailbox
	byName     map[string]*metadatapb.Mailbox
	subscribed map[string]bool
	parents    map[string]bool // names with at least one child mailbox
}

func (c *conn) loadMailboxList() (*mailboxList, error) {
	resp, err := c.srv.cfg.Metadata.ListMailboxes(c.ctx, &metadatapb.ListMailboxesRequest{User: c.user})
	if err != nil {
		return nil, rpcErr(err)
	}
	l := &mailboxList{
		byID:       make(map[uint64]*metadatapb.Mailbox, len(resp.Mailboxes)),
		byName:     make(map[string]*metadatapb.Mailbox, len(resp.Mailboxes)),
		subscribed: make(map[string]bool, len(resp.Subscribed)),
		parents:    make(map[string]bool),
	}
	for _, mb := range resp.Mailboxes {
		l.byID[mb.Id] = mb
		l.byName[mb.Name] = mb
		if mb.Subscribed {
			l.subscribed[mb.Name] = true
		}
		for p := parentOf(mb.Name); p != ""; p = parentOf(p) {
			l.parents[p] = true
		}
	}
	for _, s := range resp.Subscribed {
		l.subscribed[s] = true
	}
	return l, nil
}

// attrs are the LIST attributes of name in this snapshot, computed as
// LIST does (RFC 5465 §5.5: "accurately computed").
func (l *mailboxList) attrs(name string) []string {
	var attrs []string
	mb := l.byName[name]
	switch {
	case mb == nil && l.parents[name]:
		attrs = append(attrs, `\Noselect`, `\HasChildren`)
	case mb == nil:
		attrs = append(attrs, `\NonExistent`) // RFC 5465 §5.4
	default:
		if l.parents[name] {
			attrs = append(attrs, `\HasChildren`)
		} else {
			attrs = append(attrs, `\HasNoChildren`)
		}
		if mb.SpecialUse != "" {
			attrs = append(attrs, mb.SpecialUse)
		}
	}
	if l.subscribed[name] {
		attrs = append(attrs, `\Subscribed`)
	}
	return attrs
}

// listEvent is one LIST notification: a name and, for a rename, the name
// it had (RFC 5465 §5.4 OLDNAME).
type listEvent struct {
	name, oldName string
}

// diffLists returns the MailboxName and SubscriptionChange notifications
// that take old to cur, in a stable order, each name once.
func (n *notifyState) diffLists(old, cur *mailboxList) []listEvent {
	var out []listEvent
	done := make(map[string]bool)
	add := func(e listEvent) {
		if !done[e.name] {
			done[e.name] = true
			out = append(out, e)
		}
	}
	wantName := func(name string) bool {
		sub := old.subscribed[name] || cur.subscribed[name]
		return n.spec.eventsFor(name, sub).mailboxName
	}
	// §5.4: "If a mailbox is created or deleted, the mailbox itself and
	// its direct parent (whether it is an existing mailbox or not) are
	// considered to be affected."
	withParent := func(name string) {
		add(listEvent{name: name})
		if p := parentOf(name); p != "" && wantName(p) {
			add(listEvent{name: p})
		}
	}

	// Renames keep the mailbox id (the node moves the record).
	renames := make(map[string]string) // old name → new name
	for id, mb := range cur.byID {
		if o, ok := old.byID[id]; ok && o.Name != mb.Name {
			renames[o.Name] = mb.Name
		}
	}
	var olds []string
	for o := range renames {
		olds = append(olds, o)
	}
	slices.Sort(olds)
	for _, o := range olds {
		nw := renames[o]
		if renamedWithParent(o, nw, renames) {
			continue // §5.4: "No additional MailboxName events ... for children"
		}
		if wantName(o) || wantName(nw) {
			add(listEvent{name: nw, oldName: o})
		}
	}

	var deleted, created []string
	for id, mb := range old.byID {
		if _, ok := cur.byID[id]; !ok {
			deleted = append(deleted, mb.Name)
		}
	}
	for id, mb := range cur.byID {
		if _, ok := old.byID[id]; !ok {
			created = append(created, mb.Name)
		}
	}
	slices.Sort(deleted)
	slices.Sort(created)
	for _, name := range append(deleted, created...) {
		if wantName(name) {
			withParent(name)
		}
	}

	// §5.5: one LIST per name whose subscription changed.
	var subs []string
	for name := range old.subscribed {
		if !cur.subscribed[name] {
			subs = append(subs, name)
		}
	}
	for name := range cur.subscribed {
		if !old.subscribed[name] {
			subs = append(subs, name)
		}
	}
	slices.Sort(subs)
	for _, name := range subs {
		if n.spec.eventsFor(name, true).subscription {
			add(listEvent{name: name})
		}
	}
	return out
}

// renamedWithParent reports whether the rename o → nw is the consequence
// of an ancestor's rename (RENAME moves children along).
func renamedWithParent(o, nw string, renames map[string]string) bool {
	for p := parentOf(o); p != ""; p = parentOf(p) {
		if np, ok := renames[p]; ok && nw == np+o[len(p):] {
			return true
		}
	}
	return false
}

// writeListEvent writes "* LIST (attrs) "/" name" with OLDNAME for a
// rename (RFC 5465 §5.4, RFC 5258 extended data).
func (c *conn) writeListEvent(l *mailboxList, e listEvent) {
	c.enc.Raw("* LIST (").Raw(strings.Join(l.attrs(e.name), " ")).Raw(`) "/" `).
		AString(c.mailboxToWire(e.name))
	if e.oldName != "" {
		c.enc.Raw(` ("OLDNAME" (`).AString(c.mailboxToWire(e.oldName)).Raw("))")
	}
	c.enc.CRLF()
}

// refreshList reloads the mailbox list, reports what changed (leaving out
// what concerns the names in own: RFC 5465 §5 "SHOULD omit notifying the
// client if the event is caused by this client"), recomputes the watched
// mailboxes and reports the counters that moved. It returns false when the
// watched set grew beyond the limit: the caller reports the overflow.
func (c *conn) refreshList(own []string) (bool, error) {
	n := c.ntf
	cur, err := c.loadMailboxList()
	if err != nil {
		return true, err
	}
	for _, e := range n.diffLists(n.list, cur) {
		if relatedToAny(e.name, own) || (e.oldName != "" && relatedToAny(e.oldName, own)) {
			continue
		}
		c.writeListEvent(cur, e)
	}
	n.list = cur
	n.computeWatched()
	if len(n.watched) > c.maxNotifyMailboxes() {
		return false, nil
	}
	if c.sub != nil {
		c.sub.setNotifyWatch(n.watched)
	}
	for _, id := range n.watchedIDs() {
		mb := cur.byID[id]
		last, known := n.seen[id]
		// A mailbox newly watched (created, renamed or subscribed into
		// a filter) gets a STATUS: the client knows nothing of it.
		if !c.isSelected(id) && (!known || c.statusMoved(id, last, statusOf(mb))) {
			n.seen[id] = statusOf(mb)
			c.writeNotifyStatus(mb, c.cs.condstore)
		}
	}
	return true, nil
}

// relatedToAny reports whether name is one of names, or an ancestor or a
// descendant of one.
func relatedToAny(name string, names []string) bool {
	for _, o := range names {
		if name == o || strings.HasPrefix(name, o+delim) || strings.HasPrefix(o, name+delim) {
			return true
		}
	}
	return false
}
