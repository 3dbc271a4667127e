package wire

// The NOTIFY command (RFC 5465 §8). It is registered in the command table
// by this file's init, which runs after commands.go's.

// NotifyArgs is NOTIFY NONE or NOTIFY SET [STATUS] event-groups.
type NotifyArgs struct {
	None   bool // NOTIFY NONE; the other fields are empty
	Status bool // the STATUS indicator (RFC 5465 §3.1)
	Groups []NotifyGroup
}

// NotifyGroup is one event-group: a mailbox filter and its events.
type NotifyGroup struct {
	// Filter is upper-case: SELECTED, SELECTED-DELAYED, INBOXES, PERSONAL,
	// SUBSCRIBED, SUBTREE or MAILBOXES.
	Filter string
	// Mailboxes are the raw names of SUBTREE and MAILBOXES (at least one),
	// nil for the other filters.
	Mailboxes []string
	// Events as sent; empty (not nil) for the events "NONE".
	Events []NotifyEvent
}

// NotifyEvent is one event of a group.
type NotifyEvent struct {
	// Name is the RFC 5465 spelling of a known event (MessageNew,
	// MessageExpunge, FlagChange, AnnotationChange, MailboxName,
	// SubscriptionChange, MailboxMetadataChange, ServerMetadataChange) or
	// an event-ext atom as sent: the session answers NO [BADEVENT] for
	// events it does not support.
	Name string
	// Fetch is the fetch-att list of MessageNew, nil if absent.
	Fetch []FetchItem
}

// notifyEvents maps upper-cased event names to their RFC spelling.
var notifyEvents = map[string]string{
	"MESSAGENEW": "MessageNew", "MESSAGEEXPUNGE": "MessageExpunge",
	"FLAGCHANGE": "FlagChange", "ANNOTATIONCHANGE": "AnnotationChange",
	"MAILBOXNAME": "MailboxName", "SUBSCRIPTIONCHANGE": "SubscriptionChange",
	"MAILBOXMETADATACHANGE": "MailboxMetadataChange",
	"SERVERMETADATACHANGE":  "ServerMetadataChange",
}

// Bounds on a NOTIFY SET: far above what a client needs, low enough that
// a hostile command costs little to parse and to evaluate.
const (
	maxNotifyGroups    = 64
	maxNotifyMailboxes = 256 // names over all groups
	maxNotifyEvents    = 16  // per group
)

func init() {
	commands["NOTIFY"] = parseNotify
}

// parseNotify: "NOTIFY" SP (notify-set / notify-none), notify-set = "SET"
// [SP "STATUS"] SP event-groups (RFC 5465 §8).
func parseNotify(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	verb, err := d.keyword()
	if err != nil {
		return err
	}
	args := &NotifyArgs{}
	cmd.Args = args
	switch verb {
	case "NONE":
		args.None = true
		return nil
	case "SET":
	default:
		return d.errf("Expected NOTIFY SET or NOTIFY NONE")
	}
	if err := d.sp(); err != nil {
		return err
	}
	if !d.peekIs('(') {
		kw, err := d.keyword()
		if err != nil || kw != "STATUS" {
			return d.errf("Expected STATUS or an event group")
		}
		args.Status = true
		if err := d.sp(); err != nil {
			return err
		}
	}
	names := 0
	for {
		if len(args.Groups) == maxNotifyGroups {
			return d.errf("Too many NOTIFY event groups")
		}
		g, err := d.notifyGroup(&names)
		if err != nil {
			return err
		}
		args.Groups = append(args.Groups, g)
		if !d.maybe(' ') {
			return nil
		}
	}
}

// notifyGroup reads event-group = "(" filter-mailboxes SP events ")".
// names counts the mailbox names of the whole command.
func (d *Decoder) notifyGroup(names *int) (NotifyGroup, error) {
	var g NotifyGroup
	if err := d.open(); err != nil {
		return g, err
	}
	filter, err := d.keyword()
	if err != nil {
		return g, d.errf("Expected a NOTIFY mailbox filter")
	}
	g.Filter = filter
	switch filter {
	case "SELECTED", "SELECTED-DELAYED", "INBOXES", "PERSONAL", "SUBSCRIBED":
	case "SUBTREE", "MAILBOXES":
		if err := d.sp(); err != nil {
			return g, err
		}
		if g.Mailboxes, err = d.oneOrMoreMailbox(names); err != nil {
			return g, err
		}
	default:
		return g, d.errf("Unknown NOTIFY mailbox filter " + filter)
	}
	if err := d.sp(); err != nil {
		return g, err
	}
	if g.Events, err = d.notifyEvents(); err != nil {
		return g, err
	}
	return g, d.close()
}

// oneOrMoreMailbox reads mailbox / "(" mailbox *(SP mailbox) ")".
func (d *Decoder) oneOrMoreMailbox(names *int) ([]string, error) {
	var out []string
	one := func() error {
		if *names == maxNotifyMailboxes {
			return d.errf("Too many mailboxes in NOTIFY")
		}
		m, err := d.astring()
		if err != nil {
			return err
		}
		*names++
		out = append(out, m)
		return nil
	}
	if !d.peekIs('(') {
		return out, one()
	}
	return out, d.list(true, one)
}

// notifyEvents reads events = "(" event *(SP event) ")" / "NONE".
func (d *Decoder) notifyEvents() ([]NotifyEvent, error) {
	events := []NotifyEvent{}
	if !d.peekIs('(') {
		kw, err := d.keyword()
		if err != nil || kw != "NONE" {
			return nil, d.errf("Expected a NOTIFY event list or NONE")
		}
		return events, nil
	}
	err := d.list(true, func() error {
		if len(events) == maxNotifyEvents {
			return d.errf("Too many NOTIFY events")
		}
		kw, err := d.keyword()
		if err != nil {
			return d.errf("Expected a NOTIFY event")
		}
		ev := NotifyEvent{Name: kw}
		if name, ok := notifyEvents[kw]; ok {
			ev.Name = name
		}
		// RFC 5465 §8: "MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"];
		// no event starts with "(", so " (" can only be the list.
		if ev.Name == "MessageNew" && len(d.line)-d.pos >= 2 && string(d.line[d.pos:d.pos+2]) == " (" {
			d.pos++
			if err := d.list(true, func() error {
				it, err := d.fetchAtt()
				ev.Fetch = append(ev.Fetch, it)
				return err
			}); err != nil {
				return err
			}
		}
		events = append(events, ev)
		return nil
	})
	return events, err
}
