package state

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/postbus/postbus/proto/metadatapb"
)

// scanAll returns what a states-only Scan of a mailbox gives, as text.
func scanAll(t *testing.T, s *Store, user string, mbox uint64, set *metadatapb.UidSet) []string {
	t.Helper()
	var out []string
	err := s.Scan(user, mbox, set, NoMeta, false, func(m *ScanMsg) error {
		out = append(out, fmt.Sprintf("%d m%d %v s%d %+v", m.UID, m.ModSeq, m.Flags, m.Size, m.Dates))
		return nil
	})
	if err != nil {
		out = append(out, "error: "+err.Error())
	}
	return out
}

// fetchAll returns what a FETCH read of states gives, as text.
func fetchAll(t *testing.T, s *Store, user string, mbox uint64, set *metadatapb.UidSet) []string {
	t.Helper()
	var out []string
	err := s.MessagesRead(user, mbox, set, Read{}, func(r *metadatapb.MessageRecord) error {
		out = append(out, r.State.String())
		return nil
	})
	if err != nil {
		out = append(out, "error: "+err.Error())
	}
	return out
}

// selectAll returns what SELECT gives, as text.
func selectAll(t *testing.T, s *Store, user string, mbox uint64) []string {
	t.Helper()
	resp, err := s.Select(&metadatapb.SelectRequest{User: user, MailboxId: mbox})
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	return []string{fmt.Sprint(resp.Uids, resp.FirstUnseenUid, resp.Flags, resp.Mailbox.String())}
}

// TestStateCacheAgreesWithStore runs random commands on one Store and,
// after each, compares its Scan (served from the state cache) with the
// Scan of a second Store over the same database whose cache holds
// nothing. Every command that changes states must make the cache miss,
// including deleting a user and making it again, renaming it, and
// importing it, which bring back mailbox ids and modseqs.
func TestStateCacheAgreesWithStore(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(db, 16, nil)
	truth := New(db, 16, nil)
	truth.cache = newStateCache(0) // never keeps anything

	rng := rand.New(rand.NewPCG(1, 2))
	user := "bob"
	now := int64(1000)
	mustDo := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	mustDo("create", s.CreateUser(user, "hash", now))
	mbox := func(name string) uint64 {
		mb, err := s.GetMailbox(user, name)
		if err != nil {
			return 0
		}
		return mb.Id
	}
	blobs := 0
	appendN := func(name string, n int) {
		var msgs []*metadatapb.NewMessage
		for range n {
			blobs++
			flags := []string{`\Seen`, `\Flagged`, "$Label", `\Answered`}[:rng.IntN(3)]
			msgs = append(msgs, &metadatapb.NewMessage{Flags: flags, Meta: &metadatapb.MessageMeta{
				BlobId: blob(blobs), Size: uint64(100 + blobs), InternalDate: now - int64(rng.IntN(1e6)), Header: []byte("Subject: x\r\n\r\n"),
			}})
		}
		_, err := s.Append(&metadatapb.AppendRequest{User: user, MailboxId: mbox(name), Messages: msgs}, now)
		mustDo("append", err)
	}
	randomSet := func() *metadatapb.UidSet {
		lo := uint32(rng.IntN(30) + 1)
		return &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: lo, Stop: lo + uint32(rng.IntN(10))}}}
	}
	mustDo("mkdir", func() error { _, err := s.CreateMailbox(user, "Work", "", now); return err }())
	appendN("INBOX", 20)

	for step := range 400 {
		now++
		var what string
		switch op := rng.IntN(12); op {
		case 0, 1:
			what = "append"
			appendN([]string{"INBOX", "Work"}[rng.IntN(2)], 1+rng.IntN(3))
		case 2, 3:
			what = "store"
			ops := []metadatapb.StoreOp{metadatapb.StoreOp_STORE_ADD, metadatapb.StoreOp_STORE_REMOVE, metadatapb.StoreOp_STORE_REPLACE}
			flag := []string{`\Seen`, `\Deleted`, `\Flagged`, "$Work"}[rng.IntN(4)]
			_, err := s.StoreFlags(&metadatapb.StoreRequest{User: user, MailboxId: mbox("INBOX"), Uids: randomSet(), Op: ops[rng.IntN(3)], Flags: []string{flag}})
			mustDo(what, err)
		case 4:
			what = "expunge"
			_, err := s.Expunge(&metadatapb.ExpungeRequest{User: user, MailboxId: mbox("INBOX")})
			mustDo(what, err)
		case 5:
			what = "copy or move"
			_, err := s.Copy(&metadatapb.CopyRequest{User: user, MailboxId: mbox("INBOX"), DestMailboxId: mbox("Work"), Uids: randomSet(), Move: rng.IntN(2) == 0}, now)
			mustDo(what, err)
		case 6:
			what = "rename INBOX"
			mustDo(what, s.RenameMailbox(user, "INBOX", fmt.Sprintf("Old%d", step), now))
		case 7:
			what = "delete and make the user again"
			mustDo(what, s.DeleteUser(user))
			mustDo(what, s.CreateUser(user, "hash", now))
			_, err := s.CreateMailbox(user, "Work", "", now)
			mustDo(what, err)
			appendN("INBOX", 1+rng.IntN(5))
		case 8:
			what = "export, delete, change, import"
			var kvs []UserKV
			sum, err := s.ExportUser(user, func(kv UserKV) error { kvs = append(kvs, kv); return nil })
			mustDo(what, err)
			mustDo(what, s.DeleteUser(user))
			mustDo(what, s.ImportUser(user, kvs, sum))
		case 9:
			what = "rename the user away and back"
			mustDo(what, s.RenameUser(user, "tmp"))
			user = "tmp"
			mustDo(what, s.RenameUser("tmp", "bob"))
			user = "bob"
		case 10:
			what = "delete Work, make it again"
			mustDo(what, s.DeleteMailbox(user, "Work"))
			_, err := s.CreateMailbox(user, "Work", "", now)
			mustDo(what, err)
		case 11:
			what = "no-op store"
			_, err := s.StoreFlags(&metadatapb.StoreRequest{User: user, MailboxId: mbox("INBOX"), Uids: randomSet(), Op: metadatapb.StoreOp_STORE_ADD, Flags: nil})
			mustDo(what, err)
		}
		for _, name := range []string{"INBOX", "Work"} {
			id := mbox(name)
			for _, set := range []*metadatapb.UidSet{nil, randomSet()} {
				// FETCH reads are checked before SEARCH fills the cache
				// (FETCH uses it, never fills it), and after.
				for _, read := range []func(*Store) []string{
					func(st *Store) []string { return fetchAll(t, st, user, id, set) },
					func(st *Store) []string { return scanAll(t, st, user, id, set) },
					func(st *Store) []string { return fetchAll(t, st, user, id, set) },
					func(st *Store) []string { return selectAll(t, st, user, id) },
				} {
					got, want := read(s), read(truth)
					if !slices.Equal(got, want) {
						t.Fatalf("step %d, after %s: %s %v:\ncached %q\nstore  %q", step, what, name, set, got, want)
					}
				}
			}
		}
	}
	if len(s.cache.entries) == 0 {
		t.Error("the cache never kept a mailbox")
	}
}

func TestStateCacheEvicts(t *testing.T) {
	c := newStateCache(10)
	mk := func(n int) *mailboxStates { return &mailboxStates{uids: make([]uint32, n)} }
	c.put(cacheKey{mbox: 1}, mk(4))
	c.put(cacheKey{mbox: 2}, mk(4))
	if c.get(cacheKey{mbox: 1}, stamp{}) == nil { // 1 is now the newer
		t.Fatal("entry 1 missing")
	}
	c.put(cacheKey{mbox: 3}, mk(4)) // 12 > 10: the least recently used (2) goes
	if c.get(cacheKey{mbox: 2}, stamp{}) != nil || c.get(cacheKey{mbox: 1}, stamp{}) == nil || c.get(cacheKey{mbox: 3}, stamp{}) == nil {
		t.Errorf("eviction kept %v", c.entries)
	}
	if c.total != 8 {
		t.Errorf("total %d, want 8", c.total)
	}
	c.put(cacheKey{mbox: 4}, mk(11)) // larger than the cache: not kept
	if c.get(cacheKey{mbox: 4}, stamp{}) != nil || c.total != 8 {
		t.Error("a mailbox larger than the limit was kept")
	}
	// A stamp of another epoch, or built before an invalidation, misses.
	c.invalidate()
	if c.get(cacheKey{mbox: 1}, stamp{}) != nil || c.total != 0 {
		t.Error("invalidate kept entries")
	}
	c.put(cacheKey{mbox: 5}, &mailboxStates{stamp: stamp{epoch: 0}, uids: make([]uint32, 1)})
	if len(c.entries) != 0 {
		t.Error("an entry built before the invalidation was kept")
	}
}

// TestStateCacheUserMadeAgain deletes a user and makes it again with the
// same clock and the same commands but other flags: the mailbox comes
// back with the same id, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and count,
// so only the invalidation tells the cache apart.
func TestStateCacheUserMadeAgain(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(db, 16, nil)
	truth := New(db, 16, nil)
	truth.cache = newStateCache(0)
	var first []string
	for round, flag := range []string{`\Seen`, `\Flagged`} {
		if err := s.CreateUser("ann", "hash", 1000); err != nil {
			t.Fatal(err)
		}
		mb, err := s.GetMailbox("ann", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		msgs := []*metadatapb.NewMessage{{Flags: []string{flag}, Meta: &metadatapb.MessageMeta{BlobId: blob(1), Size: 10, Header: []byte("A: b\r\n\r\n")}}}
		if _, err := s.Append(&metadatapb.AppendRequest{User: "ann", MailboxId: mb.Id, Messages: msgs}, 1000); err != nil {
			t.Fatal(err)
		}
		got, want := scanAll(t, s, "ann", mb.Id, nil), scanAll(t, truth, "ann", mb.Id, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: cached %q, store %q", round, got, want)
		}
		if round == 1 && slices.Equal(got, first) {
			t.Fatal("the test made the same mailbox twice")
		}
		first = got
		if err := s.DeleteUser("ann"); err != nil {
			t.Fatal(err)
		}
	}
}
