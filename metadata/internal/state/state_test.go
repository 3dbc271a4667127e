package state

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/proto/metadatapb"
)

// testStore returns a Store over an in-memory Pebble with 16 shards.
func testStore(t testing.TB, pub Publisher) *Store {
	t.Helper()
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(db, 16, pub)
}

type quiet struct{}

func (quiet) Infof(string, ...interface{})      {}
func (quiet) Errorf(f string, a ...interface{}) { fmt.Printf("pebble: "+f+"\n", a...) }
func (quiet) Fatalf(f string, a ...interface{}) { panic(fmt.Sprintf(f, a...)) }

// blob returns a valid blob id derived from n.
func blob(n int) string { return fmt.Sprintf("%064x", n) }

// recorder is a Publisher that remembers events. It also holds the
// script's object id aliases (objectid_test.go), the other per-script state.
type recorder struct {
	events []hub.Event
	ids    aliases
}

func (r *recorder) Publish(_ string, e ...hub.Event) { r.events = append(r.events, e...) }

// TestDataDriven runs the mailbox state machine scripts of testdata/.
// Commands (user defaults to "bob", mailboxes are named, or "#id"):
//
//	user [name=] [now=]                  create a user
//	create name= [use=] [now=]           create a mailbox
//	delete name= | rename from= to= [now=] | subscribe name= [off]
//	list                                  mailboxes and subscriptions
//	append mbox= [n=] [size=] [flags=(...)] [now=] [blob=] [same] [msgid=] [irt=] [refs=(...)]
//	mailboxid mbox=                        the mailbox's MAILBOXID (aliased)
//	store mbox= uids= op=add|remove|replace [flags=(...)] [unchanged-since=]
//	expunge mbox= [uids=] [all]
//	copy|move mbox= to= uids= [now=]
//	select mbox= [claim]
//	changes mbox= since= [claim]
//	fetch mbox= uids= [changed-since=] [meta] [ids]
//	status mbox=
//	events                                events published since last time
//	quota [storage=KiB] [messages=N]      set limits (with args), show quota
//	setmeta, getmeta, annousage           annotations (annotations_test.go)
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		rec := &recorder{}
		s := testStore(t, rec)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := runCmd(t, s, rec, d)
			if err != nil {
				return "error: " + errName(err) + "\n"
			}
			return out
		})
	})
}

// errName renders an error by its sentinel, so scripts do not depend on
// message wording.
func errName(err error) string {
	for _, s := range []error{
		base.ErrNoSuchUser, base.ErrUserExists, base.ErrNoSuchMailbox, base.ErrMailboxExists,
		base.ErrMailboxHasChild, base.ErrInvalidName, base.ErrInvalidArgument, base.ErrOverQuota,
	} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return err.Error()
}

func arg(d *datadriven.TestData, key, def string) string {
	a, ok := d.Arg(key)
	if !ok || len(a.Vals) == 0 {
		return def
	}
	return a.Vals[0]
}

func argInt(t *testing.T, d *datadriven.TestData, key string, def int64) int64 {
	v := arg(d, key, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s: %s=%q: %v", d.Pos, key, v, err)
	}
	return n
}

func argList(d *datadriven.TestData, key string) []string {
	a, ok := d.Arg(key)
	if !ok {
		return nil
	}
	var out []string
	for _, v := range a.Vals {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseSet reads "1:3,7,9:*" into a UidSet.
func parseSet(t *testing.T, d *datadriven.TestData, key string) *metadatapb.UidSet {
	vals := argList(d, key)
	if vals == nil {
		return nil
	}
	set := &metadatapb.UidSet{}
	for _, v := range vals {
		lo, hi, isRange := strings.Cut(v, ":")
		r := &metadatapb.UidRange{}
		n, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			t.Fatalf("%s: bad set %q", d.Pos, v)
		}
		r.Start, r.Stop = uint32(n), uint32(n)
		if isRange {
			if hi == "*" {
				r.Stop = 0
			} else if m, err := strconv.ParseUint(hi, 10, 32); err == nil {
				r.Stop = uint32(m)
			} else {
				t.Fatalf("%s: bad set %q", d.Pos, v)
			}
		}
		set.Ranges = append(set.Ranges, r)
	}
	return set
}

func mboxID(s *Store, user, ref string) (uint64, error) {
	if id, ok := strings.CutPrefix(ref, "#"); ok {
		return strconv.ParseUint(id, 10, 64)
	}
	mb, err := s.GetMailbox(user, ref)
	if err != nil {
		return 0, err
	}
	return mb.Id, nil
}

func fmtMailbox(mb *metadatapb.Mailbox) string {
	sub := ""
	if mb.Subscribed {
		sub = " subscribed"
	}
	use := ""
	if mb.SpecialUse != "" {
		use = " " + mb.SpecialUse
	}
	return fmt.Sprintf("%s id=%d uidvalidity=%d uidnext=%d highestmodseq=%d messages=%d unseen=%d deleted=%d recent=%d size=%d%s%s\n",
		mb.Name, mb.Id, mb.UidValidity, mb.UidNext, mb.HighestModseq, mb.Messages, mb.Unseen, mb.Deleted, mb.Recent, mb.Size, use, sub)
}

func fmtState(st *metadatapb.MessageState) string {
	return fmt.Sprintf("uid=%d modseq=%d flags=(%s)\n", st.Uid, st.Modseq, strings.Join(st.Flags, " "))
}

func fmtUIDs(uids []uint32) string {
	parts := make([]string, len(uids))
	for i, u := range uids {
		parts[i] = strconv.FormatUint(uint64(u), 10)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func runCmd(t *testing.T, s *Store, rec *recorder, d *datadriven.TestData) (string, error) {
	user := arg(d, "user", "bob")
	now := argInt(t, d, "now", 1000)
	var b strings.Builder
	status := func(id uint64) error {
		return s.read(user, func(v *view) error {
			mb, err := v.mailboxPB(id)
			if err == nil {
				b.WriteString(fmtMailbox(mb))
			}
			return err
		})
	}
	done := func(id uint64) (string, error) {
		err := status(id)
		return b.String(), err
	}
	mbox := func(key string) (uint64, error) { return mboxID(s, user, arg(d, key, "INBOX")) }

	switch d.Cmd {
	case "user":
		return "ok\n", s.CreateUser(arg(d, "name", user), "hash", now)
	case "create":
		mb, err := s.CreateMailbox(user, arg(d, "name", ""), arg(d, "use", ""), now)
		if err != nil {
			return "", err
		}
		return fmtMailbox(mb), nil
	case "delete":
		return "ok\n", s.DeleteMailbox(user, arg(d, "name", ""))
	case "rename":
		return "ok\n", s.RenameMailbox(user, arg(d, "from", ""), arg(d, "to", ""), now)
	case "subscribe":
		return "ok\n", s.SetSubscribed(user, arg(d, "name", ""), !d.HasArg("off"))
	case "list":
		boxes, subs, err := s.ListMailboxes(user)
		if err != nil {
			return "", err
		}
		for _, mb := range boxes {
			b.WriteString(fmtMailbox(mb))
		}
		fmt.Fprintf(&b, "subscribed: %s\n", strings.Join(subs, ", "))
		return b.String(), nil
	case "status":
		id, err := mbox("mbox")
		if err != nil {
			return "", err
		}
		return done(id)
	case "append":
		id, err := mbox("mbox")
		if err != nil {
			return "", err
		}
		req := &metadatapb.AppendRequest{User: user, MailboxId: id}
		first := argInt(t, d, "blob", 0)
		for i := int64(0); i < argInt(t, d, "n", 1); i++ {
			req.Messages = append(req.Messages, &metadatapb.NewMessage{
				Meta: &metadatapb.MessageMeta{
					BlobId: blob(int(first + i*int64(boolInt(!d.HasArg("same"))))), Size: uint64(argInt(t, d, "size", 100)),
					MessageId: arg(d, "msgid", ""), InReplyTo: arg(d, "irt", ""), References: argList(d, "refs"),
				},
				Flags: argList(d, "flags"),
			})
		}
		resp, err := s.Append(req, now)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "uids=%s modseq=%d\n", fmtUIDs(resp.Uids), resp.Modseq)
		return done(id)
	case "store":
		id, err := mbox("mbox")
		if err != nil {
			return "", err
		}
		ops := map[string]metadatapb.StoreOp{"add": metadatapb.StoreOp_STORE_ADD, "remove": metadatapb.StoreOp_STORE_REMOVE, "replace": metadatapb.StoreOp_STORE_REPLACE}
		req := &metadatapb.StoreRequest{User: user, MailboxId: id, Uids: parseSet(t, d, "uids"), Op: ops[arg(d, "op", "replace")], Flags: argList(d, "flags")}
		if d.HasArg("unchanged-since") {
			req.HasUnchangedSince = true
			req.UnchangedSince = uint64(argInt(t, d, "unchanged-since", 0))
		}
		resp, err := s.StoreFlags(req)
		if err != nil {
			return "", err
		}
		for _, st := range resp.Messages {
			b.WriteString(fmtState(st))
		}
		fmt.Fprintf(&b, "modified=%s modseq=%d\n", fmtUIDs(resp.Modified), resp.Modseq)
		return done(id)
	case "expunge":
		id, err := mbox("mbox")
		if err != nil {
			return "", err
		}
		resp, err := s.Expunge(&metadatapb.ExpungeRequest{User: user, MailboxId: id, Uids: parseSet(t, d, "uids"), IgnoreDeletedFlag: d.HasArg("all")})
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "expunged=%s modseq=%d\n", fmtUIDs(resp.Uids), resp.Modseq)
		return done(id)
	case "copy", "move":
		id, err := mbox("mbox")
		if err != nil {
			return "", err
		}
		dst, err := mbox("to")
		if err != nil {
			return "", err
		}
		resp, err := s.Copy(&metadatapb.CopyRequest{User: user, MailboxId: id, DestMailboxId: dst, Uids: parseSet(t, d, "uids"), Move: d.Cmd == "move"}, now)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "src=%s dst=%s expunged=%s uidvalidity=%d modseq=%d\n",
			fmtUIDs(resp.SourceUids), fmtUIDs(resp.DestUids), fmtUIDs(resp.Expunged), resp.DestUidValidity, resp.Modseq)
		if err := status(id); err != nil {
			return "", err
		}
		if dst != id {
			return done(dst)
		}
		return b.String(), nil
	case "select":
		id, err := mbox("mbox")
		if err != nil {
			return "", err
		}
		resp, err := s.Select(&metadatapb.SelectRequest{User: user, MailboxId: id, ClaimRecent: d.HasArg("claim")})
		if err != nil {
			return "", err
		}
		b.WriteString(fmtMailbox(resp.Mailbox))
		fmt.Fprintf(&b, "uids=%s recent=%s first-unseen=%d keywords=%s\n", fmtUIDs(resp.Uids), fmtUIDs(resp.RecentUids), resp.FirstUnseenUid, strings.Join(resp.Flags, ","))
		return b.String(), nil
	case "fetch":
		id, err := mbox("mbox")
		if err != nil {
			return "", err
		}
		fields := NoMeta
		if d.HasArg("meta") {
			fields = AllMeta
		}
		err = s.Messages(user, id, parseSet(t, d, "uids"), fields, uint64(argInt(t, d, "changed-since", 0)), func(r *metadatapb.MessageRecord) error {
			b.WriteString(strings.TrimSuffix(fmtState(r.State), "\n"))
			if r.Meta != nil {
				fmt.Fprintf(&b, " blob=%s size=%d internal=%d save=%d", r.Meta.BlobId[60:], r.Meta.Size, r.Meta.InternalDate, r.Meta.SaveDate)
				if d.HasArg("ids") {
					fmt.Fprintf(&b, " email=%s thread=%s", rec.ids.name(r.Meta.EmailId), rec.ids.name(r.Meta.ThreadId))
				}
			}
			b.WriteString("\n")
			return nil
		})
		return b.String(), err
	case "changes":
		id, err := mbox("mbox")
		if err != nil {
			return "", err
		}
		resp, err := s.Changes(&metadatapb.ChangesRequest{User: user, MailboxId: id, SinceModseq: uint64(argInt(t, d, "since", 0)), ClaimRecent: d.HasArg("claim")})
		if err != nil {
			return "", err
		}
		if resp.MailboxGone {
			return "mailbox gone\n", nil
		}
		fmt.Fprintf(&b, "highestmodseq=%d uidnext=%d expunged=%s", resp.HighestModseq, resp.UidNext, fmtUIDs(resp.Expunged))
		if d.HasArg("claim") {
			fmt.Fprintf(&b, " recent=%s", fmtUIDs(resp.RecentUids))
		}
		b.WriteString("\n")
		for _, st := range resp.Changed {
			b.WriteString(fmtState(st))
		}
		return b.String(), nil
	case "quota":
		return runQuota(t, s, d, user) // quota_test.go
	case "mailboxid":
		mb, err := s.GetMailbox(user, arg(d, "mbox", "INBOX"))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s id=%d mailboxid=%s\n", mb.Name, mb.Id, rec.ids.name(mb.ObjectId)), nil
	case "setmeta", "getmeta", "annousage":
		return runAnnotation(t, s, d, user) // annotations_test.go
	case "events":
		for _, e := range rec.events {
			fmt.Fprintf(&b, "mailbox=%d modseq=%d list=%v\n", e.MailboxID, e.ModSeq, e.MailboxesChanged)
		}
		rec.events = nil
		return b.String(), nil
	}
	t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	return "", nil
}
