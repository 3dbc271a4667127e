package frontend

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// NOTIFY (RFC 5465) through the real server: a raw connection that asked
// for notifications, and an imapclient connection of the same user (or
// another) that makes the changes. Notifications are read with no command
// in progress (r.line()), which is the point of NOTIFY; "nothing was
// sent" is shown with a fence: a later change whose notification must be
// the next line (events of one user reach a frontend in commit order).

// notifyEnv is a logged-in raw session r and a second session c2 of the
// same user.
func notifyEnv(t *testing.T, opts ...envOption) (*env, *raw, *imapclient.Client) {
	t.Helper()
	e := newEnv(t, opts...)
	r := e.rawTLS(t)
	r.login()
	return e, r, e.client(t, nil)
}

func mustCreate(t *testing.T, c *imapclient.Client, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := c.Create(n, nil).Wait(); err != nil {
			t.Fatalf("CREATE %s: %v", n, err)
		}
	}
}

// expungeAll marks every message of mailbox \Deleted and expunges them.
func expungeAll(t *testing.T, c *imapclient.Client, mailbox string) {
	t.Helper()
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
}

// next reads the next pushed line and checks it starts with want.
func (r *raw) next(want string) string {
	r.t.Helper()
	l := r.line()
	if !strings.HasPrefix(l, want) {
		r.t.Fatalf("pushed %q, want prefix %q", l, want)
	}
	return l
}

func TestNotifyCapability(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	untagged := r.expect("c", "CAPABILITY", "OK")
	if !containsLine(untagged, " NOTIFY") {
		t.Fatalf("CAPABILITY %q lacks NOTIFY", untagged)
	}
	// NOTIFY is a command of the authenticated state (RFC 5465 §8
	// command-auth).
	r.expect("n", "NOTIFY NONE", "BAD")
}

// STATUS for another mailbox arrives while the client waits between
// commands, not in IDLE (RFC 5465 §1, §5.2, §5.3).
func TestNotifyStatusBetweenCommands(t *testing.T) {
	for _, tc := range []struct {
		name   string
		enable string
		modseq bool
	}{
		{"plain", "", false},
		{"condstore", "ENABLE CONDSTORE", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r, c2 := notifyEnv(t)
			mustCreate(t, c2, "other", "unwatched")
			if tc.enable != "" {
				r.expect("e", tc.enable, "OK")
			}
			untagged := r.expect("n", "NOTIFY SET STATUS (mailboxes other (MessageNew MessageExpunge))", "OK")
			if len(untagged) != 1 || !strings.HasPrefix(untagged[0], "* STATUS other (MESSAGES 0 UIDNEXT 1 UIDVALIDITY ") ||
				strings.Contains(untagged[0], "HIGHESTMODSEQ") != tc.modseq {
				t.Fatalf("NOTIFY SET STATUS: %q", untagged)
			}

			appendMsg(t, c2, "unwatched", simpleMsg) // fenced by the next one
			appendMsg(t, c2, "other", simpleMsg)
			l := r.next("* STATUS other (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ")
			if !strings.Contains(l, "UNSEEN 1") || strings.Contains(l, "HIGHESTMODSEQ") != tc.modseq {
				t.Errorf("after APPEND: %q", l)
			}
			// \Deleted changes neither the counts nor UNSEEN: the
			// EXPUNGE that follows is the next notification.
			expungeAll(t, c2, "other")
			r.next("* STATUS other (MESSAGES 0 UIDNEXT 2 UIDVALIDITY ")
			// The session still answers commands.
			r.expect("p", "NOOP", "OK")
		})
	}
}

// The session's own APPEND and COPY to a watched mailbox are not
// reported back (RFC 5465 §5): the next STATUS is another session's.
func TestNotifyOwnAppend(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	mustCreate(t, c2, "other")
	r.expect("n", "NOTIFY SET (mailboxes other (MessageNew MessageExpunge))", "OK")
	lit := "{" + itoa(len(simpleMsg)) + "+}\r\n" + simpleMsg
	for _, c := range []struct{ tag, line string }{
		{"a", "APPEND other " + lit},
		{"s", "SELECT INBOX"},
		{"b", "APPEND INBOX " + lit},
		{"c", "COPY 1 other"},
		{"p", "NOOP"},
	} {
		if untagged := r.expect(c.tag, c.line, "OK"); containsLine(untagged, "STATUS") {
			t.Fatalf("%s: own change reported: %q", c.line, untagged)
		}
	}
	appendMsg(t, c2, "other", simpleMsg) // the fence
	r.next("* STATUS other (MESSAGES 3 ")
}

// FlagChange for another mailbox: STATUS when UNSEEN moves, or with
// CONDSTORE when HIGHESTMODSEQ does (RFC 5465 §5.1).
func TestNotifyFlagChangeOther(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	mustCreate(t, c2, "other")
	appendMsg(t, c2, "other", simpleMsg)
	// §3.1: with FlagChange the STATUS of NOTIFY SET STATUS carries
	// HIGHESTMODSEQ (the server supports CONDSTORE), enabled or not.
	untagged := r.expect("n", "NOTIFY SET STATUS (personal (MessageNew MessageExpunge FlagChange))", "OK")
	last := untagged[len(untagged)-1] // after INBOX, Sent, Trash, ...
	if !strings.HasPrefix(last, "* STATUS other (MESSAGES 1 ") || !strings.Contains(last, " HIGHESTMODSEQ ") {
		t.Fatalf("NOTIFY SET STATUS: %q", untagged)
	}
	if _, err := c2.Select("other", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if l := r.next("* STATUS other (MESSAGES 1 "); !strings.Contains(l, "UNSEEN 0") {
		t.Errorf("after \\Seen: %q", l)
	}
}

// The selected mailbox: EXISTS then FETCH with the requested items,
// FETCH FLAGS on a flag change, EXPUNGE or VANISHED (RFC 5465 §5.1–§5.3).
func TestNotifySelected(t *testing.T) {
	for _, tc := range []struct {
		name, enable, gone string
	}{
		{"expunge", "", "* 1 EXPUNGE"},
		{"qresync", "ENABLE QRESYNC", "* VANISHED 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r, c2 := notifyEnv(t)
			if tc.enable != "" {
				r.expect("e", tc.enable, "OK")
			}
			r.expect("s", "SELECT INBOX", "OK")
			r.expect("n", "NOTIFY SET (selected (MessageNew (UID FLAGS ENVELOPE BODY.PEEK[HEADER.FIELDS (Subject)]) MessageExpunge FlagChange))", "OK")

			appendMsg(t, c2, "INBOX", simpleMsg)
			r.next("* 1 EXISTS")
			l := r.line()
			if l == "* 1 RECENT" { // IMAP4rev1 session
				l = r.line()
			}
			for _, want := range []string{"* 1 FETCH (UID 1 FLAGS (", `ENVELOPE ("Wed, 25 Nov 2026 12:00:00 +0000" "lunch?"`, "BODY[HEADER.FIELDS (Subject)] {", "Subject: lunch?"} {
				if !strings.Contains(l, want) {
					t.Errorf("new message FETCH %q lacks %q", l, want)
				}
			}

			if _, err := c2.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			if err := c2.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
				t.Fatal(err)
			}
			if l := r.next("* 1 FETCH (UID 1 "); !strings.Contains(l, `\Flagged`) {
				t.Errorf("flag change: %q", l)
			}
			if err := c2.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
				t.Fatal(err)
			}
			r.next("* 1 FETCH (UID 1 ")
			if err := c2.Expunge().Close(); err != nil {
				t.Fatal(err)
			}
			r.next(tc.gone)

			// The session's own APPEND: EXISTS, but no FETCH (§5.2).
			untagged := r.expect("a", "APPEND INBOX {"+itoa(len(simpleMsg))+"+}\r\n"+simpleMsg, "OK")
			if !containsLine(untagged, " EXISTS") || containsLine(untagged, "FETCH") {
				t.Errorf("own APPEND: %q", untagged)
			}
		})
	}
}

// SELECTED-DELAYED holds expunges until a command allows them; new
// messages still come at once (RFC 5465 §6.1.2).
func TestNotifySelectedDelayed(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	appendMsg(t, c2, "INBOX", simpleMsg)
	r.expect("s", "SELECT INBOX", "OK")
	r.expect("n", "NOTIFY SET (selected-delayed (MessageNew MessageExpunge))", "OK")
	expungeAll(t, c2, "INBOX")
	appendMsg(t, c2, "INBOX", simpleMsg) // the fence
	// Message 1 is still in the view: the new one is message 2.
	r.next("* 2 EXISTS")
	// A sequence-number command may not carry the EXPUNGE (RFC 9051
	// §7.5.1); NOOP then does.
	if untagged := r.expect("f", "FETCH 1:* (UID)", "OK"); containsLine(untagged, "EXPUNGE") {
		t.Fatalf("FETCH carried an EXPUNGE: %q", untagged)
	}
	untagged := r.expect("p", "NOOP", "OK")
	if !containsLine(untagged, "* 1 EXPUNGE") {
		t.Fatalf("NOOP after a delayed expunge: %q", untagged)
	}
}

// SELECTED without FlagChange: flag changes wait for the next command
// (RFC 5465 §3.1: only the events asked for are pushed).
func TestNotifySelectedWithoutFlagChange(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	appendMsg(t, c2, "INBOX", simpleMsg)
	r.expect("s", "SELECT INBOX", "OK")
	r.expect("n", "NOTIFY SET (selected (MessageNew MessageExpunge))", "OK")
	if _, err := c2.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	appendMsg(t, c2, "INBOX", simpleMsg) // the fence
	r.next("* 2 EXISTS")
	untagged := r.expect("p", "NOOP", "OK")
	if !containsLine(untagged, `* 1 FETCH (UID 1 FLAGS (\Flagged`) {
		t.Fatalf("NOOP after a held flag change: %q", untagged)
	}
}

// MailboxName and SubscriptionChange: LIST responses, OLDNAME on rename,
// \NonExistent on delete, the direct parent too (RFC 5465 §5.4, §5.5);
// the session's own changes are not reported back (§5).
func TestNotifyMailboxName(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	r.expect("n", "NOTIFY SET (personal (MailboxName SubscriptionChange))", "OK")

	mustCreate(t, c2, "proj/a")
	r.next(`* LIST (\HasChildren) "/" proj`)
	r.next(`* LIST (\HasNoChildren) "/" proj/a`)

	if err := c2.Rename("proj/a", "proj/b", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	r.next(`* LIST (\HasNoChildren) "/" proj/b ("OLDNAME" (proj/a))`)

	// A renamed parent is one event, not one per child.
	if err := c2.Rename("proj", "work", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	r.next(`* LIST (\HasChildren) "/" work ("OLDNAME" (proj))`)

	if err := c2.Delete("work/b").Wait(); err != nil {
		t.Fatal(err)
	}
	r.next(`* LIST (\NonExistent) "/" work/b`)
	r.next(`* LIST (\HasNoChildren) "/" work`)

	if err := c2.Subscribe("work").Wait(); err != nil {
		t.Fatal(err)
	}
	r.next(`* LIST (\HasNoChildren \Subscribed) "/" work`)
	if err := c2.Unsubscribe("work").Wait(); err != nil {
		t.Fatal(err)
	}
	r.next(`* LIST (\HasNoChildren) "/" work`)

	// Own changes: no LIST in the answer, none pushed later (the next
	// pushed line is the fence).
	for _, cmd := range []string{"CREATE mine", "RENAME mine mine2", "SUBSCRIBE mine2", "DELETE mine2"} {
		if untagged := r.expect("o", cmd, "OK"); containsLine(untagged, "LIST") {
			t.Errorf("%s: own change reported: %q", cmd, untagged)
		}
	}
	mustCreate(t, c2, "fence")
	r.next(`* LIST (\HasNoChildren) "/" fence`)
}

// MAILBOXES and SUBTREE name what they name, without wildcards; INBOXES
// is INBOX, PERSONAL everything (RFC 5465 §6.2–§6.6).
func TestNotifyScopes(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	mustCreate(t, c2, "Lists", "Lists/a", "Listsx", "other")

	untagged := r.expect("n", "NOTIFY SET STATUS (subtree Lists (MessageNew MessageExpunge)) (mailboxes (\"List%\" other) (MessageNew MessageExpunge))", "OK")
	var names []string
	for _, l := range untagged {
		names = append(names, strings.Fields(l)[2])
	}
	if strings.Join(names, " ") != `Lists Lists/a other` {
		t.Fatalf("STATUS for %v (%q)", names, untagged)
	}

	r.expect("n", "NOTIFY SET (inboxes (MessageNew MessageExpunge))", "OK")
	appendMsg(t, c2, "other", simpleMsg)
	appendMsg(t, c2, "INBOX", simpleMsg)
	r.next("* STATUS INBOX (MESSAGES 1 ")

	r.expect("n", "NOTIFY SET (personal (MessageNew MessageExpunge))", "OK")
	appendMsg(t, c2, "other", simpleMsg)
	r.next("* STATUS other (MESSAGES 2 ")

	// SUBSCRIBED follows the subscription list (§6.4).
	r.expect("n", "NOTIFY SET (subscribed (MessageNew MessageExpunge))", "OK")
	appendMsg(t, c2, "other", simpleMsg)
	if err := c2.Subscribe("Listsx").Wait(); err != nil {
		t.Fatal(err)
	}
	appendMsg(t, c2, "Listsx", simpleMsg)
	// Subscribing brings Listsx into the filter: a STATUS for it, and
	// one for the new message (or one for both, when they coalesce).
	for {
		l := r.next("* STATUS Listsx (MESSAGES ")
		if strings.HasPrefix(l, "* STATUS Listsx (MESSAGES 1 ") {
			break
		}
	}
}

// Another user's changes never reach the session.
func TestNotifyOtherUser(t *testing.T) {
	e, r, c2 := notifyEnv(t)
	r.expect("n", "NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))", "OK")
	bob, err := imapclient.DialTLS(e.imapsAddr, &imapclient.Options{TLSConfig: clientTLS})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	if err := bob.Login("bob", testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, bob, "bobbox")
	appendMsg(t, bob, "INBOX", simpleMsg)
	mustCreate(t, c2, "fence")
	r.next(`* LIST (\HasNoChildren) "/" fence`)
}

// NOTIFY NONE ends notifications; IDLE (which without NOTIFY reports the
// selected mailbox only) is the fence.
func TestNotifyNone(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	mustCreate(t, c2, "other")
	r.expect("s", "SELECT INBOX", "OK")
	r.expect("n", "NOTIFY SET (personal (MessageNew MessageExpunge MailboxName))", "OK")
	appendMsg(t, c2, "other", simpleMsg)
	r.next("* STATUS other (MESSAGES 1 ")

	r.expect("n", "NOTIFY NONE", "OK")
	r.send("i IDLE\r\n")
	r.next("+ ")
	appendMsg(t, c2, "other", simpleMsg)
	mustCreate(t, c2, "new")
	appendMsg(t, c2, "INBOX", simpleMsg)
	r.next("* 1 EXISTS")
	r.send("DONE\r\n")
	if _, tagged := r.until("i"); !strings.HasPrefix(tagged, "i OK") {
		t.Fatalf("IDLE: %s", tagged)
	}
}

// During IDLE the events are NOTIFY's (RFC 5465 §4).
func TestNotifyIdle(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	mustCreate(t, c2, "other")
	r.expect("n", "NOTIFY SET (mailboxes other (MessageNew MessageExpunge))", "OK")
	r.send("i IDLE\r\n")
	r.next("+ ")
	appendMsg(t, c2, "other", simpleMsg)
	r.next("* STATUS other (MESSAGES 1 ")
	r.send("DONE\r\n")
	if _, tagged := r.until("i"); !strings.HasPrefix(tagged, "i OK") {
		t.Fatalf("IDLE: %s", tagged)
	}
}

// A command with a synchronising literal still works while the session
// pushes notifications between commands (the continuation request and
// the notifications share the connection).
func TestNotifyLiteralWhileWatching(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	mustCreate(t, c2, "other")
	r.expect("n", "NOTIFY SET (mailboxes other (MessageNew MessageExpunge))", "OK")
	r.send("c CREATE {4}\r\n")
	r.next("+ ")
	appendMsg(t, c2, "other", simpleMsg)
	r.next("* STATUS other (MESSAGES 1 ")
	r.send("lit1\r\n")
	if _, tagged := r.until("c"); !strings.HasPrefix(tagged, "c OK") {
		t.Fatalf("CREATE with a literal: %s", tagged)
	}
}

// Refusals: BAD for what RFC 5465 §5, §6.1 and §8 forbid, NO [BADEVENT]
// for events postbus does not support (§3.1).
func TestNotifyErrors(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	const badEvent = "NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)]"
	for _, tc := range []struct{ line, want string }{
		{"NOTIFY SET (personal (MessageNew))", "BAD"},
		{"NOTIFY SET (personal (MessageExpunge))", "BAD"},
		{"NOTIFY SET (personal (FlagChange))", "BAD"},
		{"NOTIFY SET (personal (AnnotationChange))", "BAD"},
		{"NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))", badEvent},
		{"NOTIFY SET (personal (MailboxMetadataChange))", badEvent},
		{"NOTIFY SET (personal (ServerMetadataChange MailboxName))", badEvent},
		{"NOTIFY SET (inboxes (X-Whatever))", badEvent},
		{"NOTIFY SET (selected (MailboxName))", "BAD"},
		{"NOTIFY SET (selected (MessageNew MessageExpunge)) (selected-delayed NONE)", "BAD"},
		{"NOTIFY SET (personal (MessageNew (UID) MessageExpunge))", "BAD"},
		{"NOTIFY SET (selected (MessageNew (BODY[]) MessageExpunge))", "BAD"},
		{"NOTIFY SET (selected (MessageNew (RFC822) MessageExpunge))", "BAD"},
		{"NOTIFY SET (selected (MessageNew (EMAILID) MessageExpunge))", "BAD"},
		{"NOTIFY SET (mailboxes \"&Jjo\" (MailboxName))", "BAD"},
		{"NOTIFY SET (selected (MessageNew MessageExpunge)", "BAD"},
		{"NOTIFY GET", "BAD"},
		{"NOTIFY SET STATUS", "BAD"},
		{"NOTIFY SET (personal NONE) (selected (MessageNew (UID BODY.PEEK[1]) MessageExpunge))", "OK"},
		{"NOTIFY NONE", "OK"},
	} {
		untagged, tagged := r.cmd("t", tc.line)
		if !strings.HasPrefix(tagged, "t "+tc.want) {
			t.Errorf("%s: got %q (untagged %q), want %q", tc.line, tagged, untagged, tc.want)
		}
	}
}

// Too many mailboxes: a NOTIFY SET is refused, a growing set overflows
// (RFC 5465 §3.1, §5.8) and the session behaves as after NOTIFY NONE.
func TestNotifyOverflow(t *testing.T) {
	_, r, c2 := notifyEnv(t, func(c *Config) { c.MaxNotifyMailboxes = 2 })
	mustCreate(t, c2, "a", "b")
	r.expect("n", "NOTIFY SET (personal (MessageNew MessageExpunge))", "NO [NOTIFICATIONOVERFLOW]")
	r.expect("n", "NOTIFY SET (mailboxes (INBOX a) (MessageNew MessageExpunge)) (personal (SubscriptionChange))", "OK")
	if err := c2.Subscribe("a").Wait(); err != nil {
		t.Fatal(err)
	}
	r.next(`* LIST (\HasNoChildren \Subscribed) "/" a`)

	r.expect("n", "NOTIFY SET (subtree a (MessageNew MessageExpunge))", "OK")
	mustCreate(t, c2, "a/1", "a/2")
	// a/1 is the second watched mailbox (a STATUS, unless both creations
	// are seen at once), a/2 the third: overflow.
	if l := r.line(); strings.HasPrefix(l, "* STATUS a/1 ") {
		r.next("* OK [NOTIFICATIONOVERFLOW]")
	} else if !strings.HasPrefix(l, "* OK [NOTIFICATIONOVERFLOW]") {
		t.Fatalf("pushed %q, want the overflow", l)
	}
	r.expect("p", "NOOP", "OK")
	// NOTIFY works again once asked.
	r.expect("n", "NOTIFY SET (mailboxes b (MessageNew MessageExpunge))", "OK")
	appendMsg(t, c2, "b", simpleMsg)
	r.next("* STATUS b (MESSAGES 1 ")
}

// NOTIFY belongs to the session: UNAUTHENTICATE ends it (RFC 8437 §3).
func TestNotifyUnauthenticate(t *testing.T) {
	_, r, c2 := notifyEnv(t)
	r.expect("n", "NOTIFY SET (personal (MailboxName))", "OK")
	r.expect("u", "UNAUTHENTICATE", "OK")
	r.login()
	r.expect("s", "SELECT INBOX", "OK")
	r.send("i IDLE\r\n")
	r.next("+ ")
	mustCreate(t, c2, "new")
	appendMsg(t, c2, "INBOX", simpleMsg)
	r.next("* 1 EXISTS") // the fence: no LIST before it
	r.send("DONE\r\n")
	r.until("i")
}

// Names go out as the session spells them: UTF-8 after ENABLE IMAP4rev2,
// modified UTF-7 before (RFC 9051 §5.1).
func TestNotifyNameEncoding(t *testing.T) {
	for _, tc := range []struct{ enable, want string }{
		{"", `* LIST (\HasNoChildren) "/" K&AOQ-se`},
		{"ENABLE IMAP4rev2", `* LIST (\HasNoChildren) "/" "Käse"`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, r, c2 := notifyEnv(t)
			if tc.enable != "" {
				r.expect("e", tc.enable, "OK")
			}
			r.expect("n", "NOTIFY SET (personal (MailboxName))", "OK")
			mustCreate(t, c2, "Käse")
			if l := r.line(); l != tc.want {
				t.Fatalf("pushed %q, want %q", l, tc.want)
			}
		})
	}
}

// Flag changes held back for NOTIFY keep the HIGHESTMODSEQ a client may
// cache below them, as held-back expunges do (RFC 7162 §3.2).
func TestNotifyHeldFlagsSafeModseq(t *testing.T) {
	var buf strings.Builder
	sel := &selected{uids: []uint32{1, 2}, modseq: 10, recent: map[uint32]struct{}{}, reported: map[uint32]uint64{}}
	c := &conn{enc: wire.NewEncoder(&buf), sel: sel, cs: condState{condstore: true}, rev2: true}
	c.applyChanges(&metadatapb.ChangesResponse{HighestModseq: 12, Changed: []*metadatapb.MessageState{{Uid: 2, Modseq: 12, Flags: []string{`\Seen`}}}}, false)
	c.enc.Flush()
	if buf.Len() != 0 || sel.modseq != 12 || sel.safeModseq() != 10 {
		t.Fatalf("held: wrote %q, modseq %d, safe %d", buf.String(), sel.modseq, sel.safeModseq())
	}
	c.writeHeldFlags()
	c.enc.Flush()
	if got := buf.String(); got != "* 2 FETCH (UID 2 MODSEQ (12) FLAGS (\\Seen))\r\n" || sel.safeModseq() != 12 {
		t.Fatalf("released: wrote %q, safe %d", got, sel.safeModseq())
	}
}

// flakyMetadata fails GetMailbox for one name while failing is set, and
// says so on failed.
type flakyMetadata struct {
	metadatapb.MetadataClient
	name    string
	failing atomic.Bool
	failed  chan struct{}
}

func (f *flakyMetadata) GetMailbox(ctx context.Context, in *metadatapb.GetMailboxRequest, opts ...grpc.CallOption) (*metadatapb.Mailbox, error) {
	if f.failing.Load() && in.Name == f.name {
		select {
		case f.failed <- struct{}{}:
		default:
		}
		return nil, status.Error(codes.Unavailable, "injected")
	}
	return f.MetadataClient.GetMailbox(ctx, in, opts...)
}

// A STATUS that cannot be computed (the metadata node is unavailable) is
// retried later and then delivered; the session keeps answering.
func TestNotifyRetry(t *testing.T) {
	flaky := &flakyMetadata{name: "other", failed: make(chan struct{}, 1)}
	_, r, c2 := notifyEnv(t, func(c *Config) {
		flaky.MetadataClient = c.Metadata
		c.Metadata = flaky
	})
	mustCreate(t, c2, "other")
	appendMsg(t, c2, "other", simpleMsg)
	if _, err := c2.Select("other", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	r.expect("n", "NOTIFY SET (mailboxes other (MessageNew MessageExpunge))", "OK")
	flaky.failing.Store(true)
	if err := c2.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	<-flaky.failed
	if untagged := r.expect("p", "NOOP", "OK"); containsLine(untagged, "STATUS") {
		t.Fatalf("STATUS while failing: %q", untagged)
	}
	flaky.failing.Store(false)
	r.next("* STATUS other (MESSAGES 0 ")
}

// lossyWatch loses Watch events while losing is set, then breaks the
// stream at the next event, as a metadata node that went away would.
type lossyWatch struct {
	metadatapb.MetadataClient
	losing atomic.Bool
}

func (l *lossyWatch) Watch(ctx context.Context, in *metadatapb.WatchRequest, opts ...grpc.CallOption) (metadatapb.Metadata_WatchClient, error) {
	s, err := l.MetadataClient.Watch(ctx, in, opts...)
	if err != nil {
		return nil, err
	}
	return &lossyStream{Metadata_WatchClient: s, l: l}, nil
}

type lossyStream struct {
	metadatapb.Metadata_WatchClient
	l *lossyWatch
}

func (s *lossyStream) Recv() (*metadatapb.ChangeEvent, error) {
	ev, err := s.Metadata_WatchClient.Recv()
	if err == nil && s.l.losing.Load() {
		if ev.MailboxesChanged { // the mailbox list event that ends the outage
			s.l.losing.Store(false)
			return nil, status.Error(codes.Unavailable, "injected stream break")
		}
		return s.Recv() // lost
	}
	return ev, err
}

// After the Watch stream broke, events may have been lost: the session
// compares every watched mailbox and reports what moved (watch.go
// reconnects and marks everything).
func TestNotifyWatchReconnect(t *testing.T) {
	lossy := &lossyWatch{}
	_, r, c2 := notifyEnv(t, func(c *Config) {
		lossy.MetadataClient = c.Metadata
		c.Metadata = lossy
	})
	mustCreate(t, c2, "other")
	r.expect("n", "NOTIFY SET (mailboxes other (MessageNew MessageExpunge))", "OK")
	lossy.losing.Store(true)
	appendMsg(t, c2, "other", simpleMsg) // its event is lost
	mustCreate(t, c2, "breaker")         // breaks the stream
	r.next("* STATUS other (MESSAGES 1 ")
}
