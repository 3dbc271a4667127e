package state

import (
	"reflect"
	"testing"

	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// indexEntries returns the blob index of user as "mbox/uid" per entry.
func indexEntries(t *testing.T, s *Store, user string) map[[2]uint64]bool {
	t.Helper()
	out := map[[2]uint64]bool{}
	err := s.read(user, func(v *view) error {
		p := schema.UserPrefix(v.shard, schema.TableBlobIndex, user)
		return scan(v.r, p, schema.PrefixEnd(p), func(k, _ []byte) (bool, error) {
			mbox := schema.DecodeU64
			id, err := mbox(k[len(p) : len(p)+8])
			uid, _ := schema.UIDFromKey(k)
			out[[2]uint64{id, uint64(uid)}] = true
			return true, err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSkipDuplicate(t *testing.T) {
	s := testStore(t, nil)
	const user = "bob"
	if err := s.CreateUser(user, "hash", 1000); err != nil {
		t.Fatal(err)
	}
	id := func(name string) uint64 {
		t.Helper()
		mb, err := s.GetMailbox(user, name)
		if err != nil {
			t.Fatal(err)
		}
		return mb.Id
	}
	inbox, arch := id("INBOX"), id("Archive")
	nm := func(b int, skip bool) *metadatapb.NewMessage {
		return &metadatapb.NewMessage{Meta: &metadatapb.MessageMeta{BlobId: blob(b), Size: 10}, SkipDuplicate: skip}
	}
	appendUIDs := func(mbox uint64, msgs ...*metadatapb.NewMessage) (*metadatapb.AppendResponse, []uint32) {
		t.Helper()
		resp, err := s.Append(&metadatapb.AppendRequest{User: user, MailboxId: mbox, Messages: msgs}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return resp, resp.Uids
	}
	want := func(what string, got, want []uint32) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: uids %v, want %v", what, got, want)
		}
	}

	// Without skip_duplicate the same body is appended twice.
	_, uids := appendUIDs(inbox, nm(1, false), nm(1, false))
	want("plain", uids, []uint32{1, 2})
	// With it, the lowest existing UID is reported and nothing changes.
	before, _ := s.GetMailbox(user, "INBOX")
	resp, uids := appendUIDs(inbox, nm(1, true))
	want("dup", uids, []uint32{1})
	after, _ := s.GetMailbox(user, "INBOX")
	if after.HighestModseq != before.HighestModseq || after.UidNext != 3 || after.Messages != 2 || resp.Modseq != before.HighestModseq {
		t.Errorf("a skipped duplicate changed the mailbox: %v -> %v (resp modseq %d)", before, after, resp.Modseq)
	}
	// Duplicates inside one request, mixed with new bodies.
	_, uids = appendUIDs(inbox, nm(2, true), nm(2, true), nm(1, true), nm(3, false))
	want("mixed", uids, []uint32{3, 3, 1, 4})

	// Expunge removes the entry: the lowest copy goes, the next one is found.
	if _, err := s.Expunge(&metadatapb.ExpungeRequest{User: user, MailboxId: inbox, Uids: metadatapb.NewUidSet(1), IgnoreDeletedFlag: true}); err != nil {
		t.Fatal(err)
	}
	_, uids = appendUIDs(inbox, nm(1, true))
	want("after expunge of 1", uids, []uint32{2})
	if _, err := s.Expunge(&metadatapb.ExpungeRequest{User: user, MailboxId: inbox, Uids: metadatapb.NewUidSet(2), IgnoreDeletedFlag: true}); err != nil {
		t.Fatal(err)
	}
	_, uids = appendUIDs(inbox, nm(1, true))
	want("after expunge of every copy", uids, []uint32{5})

	// Copy indexes the destination; move also unindexes the source.
	if _, err := s.Copy(&metadatapb.CopyRequest{User: user, MailboxId: inbox, Uids: metadatapb.NewUidSet(3), DestMailboxId: arch}, 1000); err != nil {
		t.Fatal(err)
	}
	_, uids = appendUIDs(arch, nm(2, true))
	want("copied", uids, []uint32{1})
	if _, err := s.Copy(&metadatapb.CopyRequest{User: user, MailboxId: inbox, Uids: metadatapb.NewUidSet(4), DestMailboxId: arch, Move: true}, 1000); err != nil {
		t.Fatal(err)
	}
	_, uids = appendUIDs(arch, nm(3, true))
	want("moved into", uids, []uint32{2})
	_, uids = appendUIDs(inbox, nm(3, true))
	want("moved away", uids, []uint32{6})

	// Renaming INBOX moves its messages (and their entries) to a new mailbox.
	if err := s.RenameMailbox(user, "INBOX", "Old", 1000); err != nil {
		t.Fatal(err)
	}
	old := id("Old")
	_, uids = appendUIDs(old, nm(1, true))
	want("renamed inbox", uids, []uint32{5})
	_, uids = appendUIDs(inbox, nm(1, true))
	want("emptied inbox", uids, []uint32{7})

	// The index has exactly one entry per live message.
	checkIndex := func(what string) {
		t.Helper()
		got := indexEntries(t, s, user)
		wantIdx := map[[2]uint64]bool{}
		boxes, _, err := s.ListMailboxes(user)
		if err != nil {
			t.Fatal(err)
		}
		for _, mb := range boxes {
			sel, err := s.Select(&metadatapb.SelectRequest{User: user, MailboxId: mb.Id})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range sel.Uids {
				wantIdx[[2]uint64{mb.Id, uint64(u)}] = true
			}
		}
		if !reflect.DeepEqual(got, wantIdx) {
			t.Errorf("%s: index %v, want %v", what, got, wantIdx)
		}
	}
	checkIndex("after the commands")

	// Deleting a mailbox or the user drops the entries.
	if err := s.DeleteMailbox(user, "Old"); err != nil {
		t.Fatal(err)
	}
	checkIndex("after delete")
	if err := s.DeleteUser(user); err != nil {
		t.Fatal(err)
	}
	if got := indexEntries(t, s, user); len(got) != 0 {
		t.Errorf("index after user deletion: %v", got)
	}
}
