package frontend

import (
	"strings"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// NOTIFY (RFC 5465). This file checks a NOTIFY command and keeps what it
// asked for; notify_list.go tracks the mailbox list (MailboxName,
// SubscriptionChange, which mailboxes are watched), notify_push.go writes
// the notifications, between commands too (notify_wait.go).
//
// Supported: the filters SELECTED, SELECTED-DELAYED, INBOXES, PERSONAL,
// SUBSCRIBED, SUBTREE and MAILBOXES; the events MessageNew (with a
// fetch-att list for the selected mailbox), MessageExpunge, FlagChange,
// MailboxName and SubscriptionChange. AnnotationChange and the METADATA
// events are refused with NO [BADEVENT] (RFC 5465 §3.1): postbus has no
// annotations and no METADATA.

// supportedEvents is the BADEVENT list: every event postbus supports
// (RFC 5465 §3.1 "MUST list names of all events supported").
const supportedEvents = "MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange"

// defaultMaxNotifyMailboxes bounds how many mailboxes one session watches
// for message events (Config.MaxNotifyMailboxes).
const defaultMaxNotifyMailboxes = 1000

// notifySpec is a checked NOTIFY SET.
type notifySpec struct {
	// selected are the message events of SELECTED/SELECTED-DELAYED; nil
	// when neither was given (RFC 5465 §3.1: "the same as SELECTED NONE").
	selected *selectedEvents
	groups   []notifyGroup // the other filters, in command order
	status   bool          // the STATUS indicator
}

// selectedEvents are the message events asked for the selected mailbox.
type selectedEvents struct {
	delayed bool // SELECTED-DELAYED: expunges wait for a command (§6.1.2)
	// messages: MessageNew and MessageExpunge (always together, §5).
	messages bool
	flags    bool             // FlagChange
	fetch    []wire.FetchItem // MessageNew's fetch-att list, UID first
	needMeta bool             // fetch reads more than the message state
}

// notifyGroup is one event-group of a filter other than SELECTED.
type notifyGroup struct {
	filter string   // INBOXES, PERSONAL, SUBSCRIBED, SUBTREE, MAILBOXES
	names  []string // SUBTREE/MAILBOXES, decoded
	events mailboxEvents
}

// mailboxEvents are the events asked for a (non-selected) mailbox.
type mailboxEvents struct {
	messages     bool // MessageNew + MessageExpunge: STATUS on count changes
	flags        bool // FlagChange: STATUS on UNSEEN (and HIGHESTMODSEQ) changes
	mailboxName  bool // MailboxName: LIST on create/delete/rename (§5.4)
	subscription bool // SubscriptionChange: LIST on (un)subscribe (§5.5)
}

func (e *mailboxEvents) or(o mailboxEvents) {
	e.messages = e.messages || o.messages
	e.flags = e.flags || o.flags
	e.mailboxName = e.mailboxName || o.mailboxName
	e.subscription = e.subscription || o.subscription
}

// matches reports whether the group's filter covers a mailbox name
// (RFC 5465 §6.2–§6.6); subscribed says whether the name is subscribed.
func (g *notifyGroup) matches(name string, subscribed bool) bool {
	switch g.filter {
	case "PERSONAL":
		return true // one personal namespace holds every mailbox
	case "INBOXES":
		// §6.3: mailboxes an MDA delivers to. LMTP delivers to INBOX
		// unless the sender addresses a +detail mailbox, so INBOX is the
		// one mailbox every delivery can reach (Dovecot decides the same).
		return name == "INBOX"
	case "SUBSCRIBED":
		return subscribed
	case "SUBTREE":
		for _, n := range g.names {
			if name == n || strings.HasPrefix(name, n+delim) {
				return true
			}
		}
	case "MAILBOXES":
		for _, n := range g.names { // §6.6: no wildcard expansion
			if name == n {
				return true
			}
		}
	}
	return false
}

// eventsFor is the union of the events of every group covering name
// (RFC 5465 §6: several groups can apply to one mailbox).
func (s *notifySpec) eventsFor(name string, subscribed bool) mailboxEvents {
	var ev mailboxEvents
	for i := range s.groups {
		if s.groups[i].matches(name, subscribed) {
			ev.or(s.groups[i].events)
		}
	}
	return ev
}

// RFC 5465 §3.1. NOTIFY NONE and NOTIFY SET replace what was asked before;
// a refused NOTIFY leaves it as it was. The command table marks NOTIFY
// forceSync: a successful NOTIFY SET "implies an implicit NOOP".
func (c *conn) cmdNotify(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.NotifyArgs)
	if !ok {
		return bad("", "NOTIFY expects SET or NONE")
	}
	if a.None {
		c.notifyOff()
		return nil
	}
	spec, err := c.checkNotify(a)
	if err != nil {
		return err
	}
	// Collect events before reading the list, so none falls in between;
	// a refused NOTIFY SET puts back what was in effect.
	if c.sub != nil {
		c.sub.setNotify(true)
	}
	list, err := c.loadMailboxList()
	if err == nil {
		n := newNotifyState(spec, list)
		n.computeWatched()
		if len(n.watched) <= c.maxNotifyMailboxes() {
			c.ntf = n
		} else {
			// §3.1: "prohibitively expensive ... MAY refuse".
			err = no("NOTIFICATIONOVERFLOW", "NOTIFY would watch too many mailboxes")
		}
	}
	if err != nil {
		if c.ntf == nil && c.sub != nil {
			c.sub.setNotify(false)
		} else if c.sub != nil {
			c.sub.noteNotify(0, false, true) // the previous SET rereads all
		}
		return err
	}
	n, list := c.ntf, c.ntf.list
	if c.sub != nil {
		c.sub.setNotifyWatch(n.watched)
	}
	// The counters the client is told of from now on are compared with
	// these; with STATUS it learns them now (§3.1).
	for _, id := range n.watchedIDs() {
		mb := list.byID[id]
		n.seen[id] = statusOf(mb)
		if spec.status && !c.isSelected(id) {
			// §3.1: with FlagChange the STATUS "MUST contain
			// UIDVALIDITY and HIGHESTMODSEQ" when the server supports
			// CONDSTORE, as postbus does, enabled or not.
			flags := spec.eventsFor(mb.Name, list.subscribed[mb.Name]).flags
			c.writeNotifyStatus(mb, flags || c.cs.condstore)
		}
	}
	return nil
}

// checkNotify turns a parsed NOTIFY SET into a spec, or the BAD/NO that
// refuses it (RFC 5465 §3.1, §5, §6.1).
func (c *conn) checkNotify(a *wire.NotifyArgs) (*notifySpec, error) {
	spec := &notifySpec{status: a.Status}
	unsupported := false
	for _, g := range a.Groups {
		var names []string
		for _, raw := range g.Mailboxes {
			name, err := c.mailboxFromWire(raw)
			if err != nil {
				return nil, err
			}
			names = append(names, name)
		}
		var ev mailboxEvents
		var annotation bool
		var fetch []wire.FetchItem
		hasFetch := false
		newMsg, expunge := false, false
		for _, e := range g.Events {
			switch e.Name {
			case "MessageNew":
				newMsg = true
				if e.Fetch != nil {
					fetch, hasFetch = e.Fetch, true
				}
			case "MessageExpunge":
				expunge = true
			case "FlagChange":
				ev.flags = true
			case "AnnotationChange":
				annotation = true
			case "MailboxName":
				ev.mailboxName = true
			case "SubscriptionChange":
				ev.subscription = true
			default: // METADATA events, event-ext
				unsupported = true
			}
		}
		// §5: MessageNew and MessageExpunge go together, and FlagChange
		// or AnnotationChange need both; otherwise BAD.
		if newMsg != expunge {
			return nil, bad("", "NOTIFY: MessageNew and MessageExpunge must be given together")
		}
		if (ev.flags || annotation) && !newMsg {
			return nil, bad("", "NOTIFY: FlagChange and AnnotationChange need MessageNew and MessageExpunge")
		}
		ev.messages = newMsg
		unsupported = unsupported || annotation
		switch g.Filter {
		case "SELECTED", "SELECTED-DELAYED":
			// §6.1: only one of them, and only message events.
			if spec.selected != nil {
				return nil, bad("", "NOTIFY: only one of SELECTED and SELECTED-DELAYED")
			}
			if ev.mailboxName || ev.subscription {
				return nil, bad("", "NOTIFY: SELECTED takes message events only")
			}
			se := &selectedEvents{delayed: g.Filter == "SELECTED-DELAYED", messages: ev.messages, flags: ev.flags}
			if hasFetch {
				items, needMeta, err := notifyFetchItems(fetch)
				if err != nil {
					return nil, err
				}
				se.fetch, se.needMeta = items, needMeta
			}
			spec.selected = se
		default:
			// §8: the fetch-att list is for the selected mailbox only.
			if hasFetch {
				return nil, bad("", "NOTIFY: a MessageNew fetch-att list is only allowed for SELECTED")
			}
			spec.groups = append(spec.groups, notifyGroup{filter: g.Filter, names: names, events: ev})
		}
	}
	if unsupported {
		// §3.1: NO, not BAD, with every supported event listed.
		return nil, no("BADEVENT ("+supportedEvents+")", "NOTIFY: unsupported event")
	}
	return spec, nil
}

// notifyFetchItems checks MessageNew's fetch-att list (RFC 5465 §5.2) and
// puts UID first: the client of an unsolicited FETCH cannot rely on the
// sequence number. Items that would set \Seen are refused ("SHOULD NOT
// use"): a notification must not change the mailbox.
func notifyFetchItems(in []wire.FetchItem) ([]wire.FetchItem, bool, error) {
	items := []wire.FetchItem{{Name: "UID"}}
	needMeta := false
	for _, it := range in {
		switch it.Name {
		case "UID":
			continue
		case "FLAGS", "MODSEQ":
		case "EMAILID", "THREADID":
			return nil, false, bad("", "NOTIFY: FETCH "+it.Name+" is not supported")
		case "BODY[]", "BINARY[]":
			if !it.Peek {
				return nil, false, bad("", "NOTIFY: "+it.Name+" would set \\Seen, use the .PEEK form")
			}
			// The node filters HEADER.FIELDS of the message itself.
			needMeta = needMeta || !nodeHeaderSection(it)
		case "RFC822", "RFC822.TEXT":
			return nil, false, bad("", "NOTIFY: "+it.Name+" would set \\Seen, use BODY.PEEK")
		default:
			needMeta = true
		}
		items = append(items, it)
	}
	return items, needMeta, nil
}

// notifyOff is NOTIFY NONE (and what an overflow falls back to, §5.8).
func (c *conn) notifyOff() {
	c.ntf = nil
	if c.sub != nil {
		c.sub.setNotify(false)
	}
}

// notifyActive reports whether notifications may be sent between commands.
func (c *conn) notifyActive() bool {
	return c.ntf != nil && c.state&authAndSel != 0
}

func (c *conn) maxNotifyMailboxes() int {
	if n := c.srv.cfg.MaxNotifyMailboxes; n > 0 {
		return n
	}
	return defaultMaxNotifyMailboxes
}

// isSelected reports whether id is the selected mailbox, whose message
// events only SELECTED/SELECTED-DELAYED govern (RFC 5465 §3.1).
func (c *conn) isSelected(id uint64) bool { return c.sel != nil && c.sel.id == id }

// statusVals are the counters a STATUS notification reports.
type statusVals struct {
	messages, uidNext, uidValidity, unseen uint32
	highestModseq                          uint64
}

func statusOf(mb *metadatapb.Mailbox) statusVals {
	return statusVals{mb.Messages, mb.UidNext, mb.UidValidity, mb.Unseen, mb.HighestModseq}
}

// writeNotifyStatus writes the STATUS of a watched mailbox: MESSAGES
// UIDNEXT UIDVALIDITY UNSEEN, and HIGHESTMODSEQ when modseq (RFC 5465
// §3.1, §5.1–§5.3: once CONDSTORE is enabled).
func (c *conn) writeNotifyStatus(mb *metadatapb.Mailbox, modseq bool) {
	c.enc.Raw("* STATUS ").AString(c.mailboxToWire(mb.Name)).
		Raw(" (MESSAGES ").Number(uint64(mb.Messages)).
		Raw(" UIDNEXT ").Number(uint64(mb.UidNext)).
		Raw(" UIDVALIDITY ").Number(uint64(mb.UidValidity)).
		Raw(" UNSEEN ").Number(uint64(mb.Unseen))
	if modseq {
		c.enc.Raw(" HIGHESTMODSEQ ").Number(mb.HighestModseq)
	}
	c.enc.Raw(")").CRLF()
}
