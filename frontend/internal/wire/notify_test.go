package wire

import (
	"strings"
	"testing"
)

// The NOTIFY rows of the decoder tables (and so of the fuzz corpus, which
// is seeded from them). Semantic checks (BADEVENT, event pairing) are the
// session's; the decoder only enforces RFC 5465 §8's grammar.
func init() {
	ev := func(name string, fetch ...FetchItem) NotifyEvent { return NotifyEvent{Name: name, Fetch: fetch} }
	commandCases = append(commandCases, []struct {
		name  string
		in    string
		want  *Command
		conts int
	}{
		{"notify none", "n NOTIFY NONE\r\n", &Command{Tag: "n", Name: "NOTIFY", Args: &NotifyArgs{None: true}}, 0},
		{"notify none lower", "n notify none\r\n", &Command{Tag: "n", Name: "NOTIFY", Args: &NotifyArgs{None: true}}, 0},
		{"notify rfc example", "b notify set status (selected (MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge)) (subtree Lists (MessageNew))\r\n",
			&Command{Tag: "b", Name: "NOTIFY", Args: &NotifyArgs{Status: true, Groups: []NotifyGroup{
				{Filter: "SELECTED", Events: []NotifyEvent{
					ev("MessageNew", item("UID"), sec("BODY[]", true, &Section{Specifier: "HEADER.FIELDS", Fields: []string{"from", "to", "subject"}}, nil)),
					ev("MessageExpunge")}},
				{Filter: "SUBTREE", Mailboxes: []string{"Lists"}, Events: []NotifyEvent{ev("MessageNew")}},
			}}}, 0},
		{"notify mailboxes list", "n NOTIFY SET (mailboxes (INBOX \"a b\") (Messagenew messageExpunge FlagChange)) (personal (MailboxName SubscriptionChange))\r\n",
			&Command{Tag: "n", Name: "NOTIFY", Args: &NotifyArgs{Groups: []NotifyGroup{
				{Filter: "MAILBOXES", Mailboxes: []string{"INBOX", "a b"}, Events: []NotifyEvent{ev("MessageNew"), ev("MessageExpunge"), ev("FlagChange")}},
				{Filter: "PERSONAL", Events: []NotifyEvent{ev("MailboxName"), ev("SubscriptionChange")}},
			}}}, 0},
		{"notify events none", "n NOTIFY SET (inboxes NONE) (subscribed none) (selected-delayed NONE)\r\n",
			&Command{Tag: "n", Name: "NOTIFY", Args: &NotifyArgs{Groups: []NotifyGroup{
				{Filter: "INBOXES", Events: []NotifyEvent{}},
				{Filter: "SUBSCRIBED", Events: []NotifyEvent{}},
				{Filter: "SELECTED-DELAYED", Events: []NotifyEvent{}},
			}}}, 0},
		{"notify unknown event kept", "n NOTIFY SET (personal (X-Foo AnnotationChange))\r\n",
			&Command{Tag: "n", Name: "NOTIFY", Args: &NotifyArgs{Groups: []NotifyGroup{
				{Filter: "PERSONAL", Events: []NotifyEvent{ev("X-FOO"), ev("AnnotationChange")}},
			}}}, 0},
		{"notify mailbox literal", "n NOTIFY SET (mailboxes {3}\r\na b (MailboxName))\r\n",
			&Command{Tag: "n", Name: "NOTIFY", Args: &NotifyArgs{Groups: []NotifyGroup{
				{Filter: "MAILBOXES", Mailboxes: []string{"a b"}, Events: []NotifyEvent{ev("MailboxName")}},
			}}}, 1},
		{"notify wildcards are names", "n NOTIFY SET (mailboxes (\"a*\" \"%\") (MailboxName))\r\n",
			&Command{Tag: "n", Name: "NOTIFY", Args: &NotifyArgs{Groups: []NotifyGroup{
				{Filter: "MAILBOXES", Mailboxes: []string{"a*", "%"}, Events: []NotifyEvent{ev("MailboxName")}},
			}}}, 0},
	}...)
	errorCases = append(errorCases, []struct {
		name string
		in   string
		tag  string
		msg  string
		code string
	}{
		{"notify bare", "n NOTIFY\r\n", "n", "", ""},
		{"notify unknown verb", "n NOTIFY GET (personal NONE)\r\n", "n", "Expected NOTIFY SET", ""},
		{"notify set nothing", "n NOTIFY SET\r\n", "n", "", ""},
		{"notify set status only", "n NOTIFY SET STATUS\r\n", "n", "", ""},
		{"notify set bad indicator", "n NOTIFY SET FOO (personal NONE)\r\n", "n", "Expected STATUS", ""},
		{"notify none trailing", "n NOTIFY NONE (personal NONE)\r\n", "n", "extra", ""},
		{"notify unknown filter", "n NOTIFY SET (everything (MessageNew MessageExpunge))\r\n", "n", "Unknown NOTIFY mailbox filter", ""},
		{"notify subtree no mailbox", "n NOTIFY SET (subtree (MailboxName))\r\n", "n", "", ""},
		{"notify mailboxes empty list", "n NOTIFY SET (mailboxes () (MailboxName))\r\n", "n", "", ""},
		{"notify empty events", "n NOTIFY SET (personal ())\r\n", "n", "", ""},
		{"notify events atom", "n NOTIFY SET (personal MessageNew)\r\n", "n", "Expected a NOTIFY event list", ""},
		{"notify bad fetch att", "n NOTIFY SET (selected (MessageNew (UID BOGUS) MessageExpunge))\r\n", "n", "Unknown fetch item", ""},
		{"notify empty fetch list", "n NOTIFY SET (selected (MessageNew () MessageExpunge))\r\n", "n", "", ""},
		{"notify unclosed group", "n NOTIFY SET (personal (MailboxName)\r\n", "n", "", ""},
		{"notify groups without space", "n NOTIFY SET (personal NONE)(inboxes NONE)\r\n", "n", "extra", ""},
		// RFC 5465 §3.1's example leaves out the parentheses §8 requires.
		{"notify unparenthesised events", "b notify set status (selected MessageNew (uid) MessageExpunge)\r\n", "b", "Expected a NOTIFY event list", ""},
	}...)
}

// TestNotifyBounds checks the limits a hostile NOTIFY runs into.
func TestNotifyBounds(t *testing.T) {
	lim := DefaultLimits()
	tests := []struct {
		name, in, msg string
	}{
		{"too many groups", "n NOTIFY SET" + strings.Repeat(" (personal NONE)", maxNotifyGroups+1) + "\r\n", "Too many NOTIFY event groups"},
		{"too many mailboxes", "n NOTIFY SET (mailboxes (" + strings.TrimSpace(strings.Repeat("m ", maxNotifyMailboxes+1)) + ") NONE)\r\n", "Too many mailboxes"},
		{"too many mailboxes over groups", "n NOTIFY SET" + strings.Repeat(" (mailboxes (a b c d) NONE)", maxNotifyMailboxes/4+1) + "\r\n", "Too many"},
		{"too many events", "n NOTIFY SET (personal (" + strings.TrimSpace(strings.Repeat("MailboxName ", maxNotifyEvents+1)) + "))\r\n", "Too many NOTIFY events"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecoder(tc.in+"x NOOP\r\n", lim)
			_, err := d.ReadCommand()
			se := syntaxErr(t, err)
			if se.Tag != "n" || !contains(se.Msg, tc.msg) {
				t.Errorf("got %+v, want msg ~%q", se, tc.msg)
			}
			cmd, err := d.ReadCommand()
			if err != nil || cmd.Name != "NOOP" {
				t.Fatalf("after the error: %+v, %v", cmd, err)
			}
		})
	}
	// Exactly at the bounds is accepted.
	in := "n NOTIFY SET" + strings.Repeat(" (personal NONE)", maxNotifyGroups) + "\r\n"
	cmd, err := newTestDecoder(in, lim).ReadCommand()
	if err != nil || len(cmd.Args.(*NotifyArgs).Groups) != maxNotifyGroups {
		t.Fatalf("at the group bound: %v", err)
	}
}

// FuzzNotify feeds arbitrary NOTIFY arguments to the decoder: it must not
// panic, must resynchronise on the next command, and what it accepts must
// respect the bounds and the shape of RFC 5465 §8.
func FuzzNotify(f *testing.F) {
	f.Add("SET STATUS (selected (MessageNew (UID FLAGS ENVELOPE) MessageExpunge FlagChange)) (personal (MailboxName))")
	f.Add("SET (subtree (a \"b c\") (MessageNew MessageExpunge)) (mailboxes INBOX NONE)")
	f.Add("SET (mailboxes {3}\r\nabc (SubscriptionChange))")
	f.Add("NONE")
	f.Add("SET (selected-delayed (MessageNew (BODY.PEEK[HEADER.FIELDS (From)]<0.10> PREVIEW (LAZY)) MessageExpunge))")
	f.Fuzz(func(t *testing.T, args string) {
		d := newTestDecoder("n NOTIFY "+args+"\r\nz NOOP\r\n", smallLimits())
		for calls := 0; calls < 8; calls++ {
			cmd, err := d.ReadCommand()
			if err != nil {
				if _, ok := err.(*SyntaxError); ok {
					continue
				}
				return
			}
			if cmd.Name != "NOTIFY" {
				continue
			}
			a, ok := cmd.Args.(*NotifyArgs)
			if !ok {
				t.Fatalf("NOTIFY without NotifyArgs: %#v", cmd.Args)
			}
			if a.None && (a.Status || len(a.Groups) > 0) {
				t.Fatalf("NONE with groups: %+v", a)
			}
			if !a.None && len(a.Groups) == 0 {
				t.Fatalf("SET without groups: %+v", a)
			}
			names := 0
			for _, g := range a.Groups {
				if g.Events == nil || len(g.Events) > maxNotifyEvents {
					t.Fatalf("group events: %+v", g)
				}
				if (g.Filter == "SUBTREE" || g.Filter == "MAILBOXES") != (len(g.Mailboxes) > 0) {
					t.Fatalf("group mailboxes: %+v", g)
				}
				names += len(g.Mailboxes)
				for _, e := range g.Events {
					if e.Fetch != nil && e.Name != "MessageNew" {
						t.Fatalf("fetch-att on %s", e.Name)
					}
				}
			}
			if len(a.Groups) > maxNotifyGroups || names > maxNotifyMailboxes {
				t.Fatalf("bounds: %d groups, %d names", len(a.Groups), names)
			}
		}
	})
}
