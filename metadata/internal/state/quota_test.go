package state

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// runQuota is the datadriven "quota" command: with storage= or messages=
// it sets both limits, then it prints the quota and whether usage equals
// the sum of the mailbox records (the invariant incremental accounting
// must keep).
func runQuota(t *testing.T, s *Store, d *datadriven.TestData, user string) (string, error) {
	var q *metadatapb.Quota
	var err error
	if d.HasArg("storage") || d.HasArg("messages") {
		q, err = s.SetQuota(user, uint64(argInt(t, d, "storage", 0)), uint64(argInt(t, d, "messages", 0)))
	} else {
		q, err = s.GetQuota(user)
	}
	if err != nil {
		return "", err
	}
	boxes, _, err := s.ListMailboxes(user)
	if err != nil {
		return "", err
	}
	var size, msgs uint64
	for _, mb := range boxes {
		size += mb.Size
		msgs += uint64(mb.Messages)
	}
	check := "ok"
	if size != q.StorageUsedBytes || msgs != q.MessagesUsed {
		check = fmt.Sprintf("MISMATCH mailboxes hold %d bytes in %d messages", size, msgs)
	}
	return fmt.Sprintf("storage=%d/%d KiB (%d bytes) messages=%d/%d check=%s\n",
		(q.StorageUsedBytes+1023)/1024, q.StorageLimitKib, q.StorageUsedBytes, q.MessagesUsed, q.MessageLimit, check), nil
}

func TestQuotaUnknownUser(t *testing.T) {
	s := testStore(t, nil)
	if _, err := s.GetQuota("nobody"); !errors.Is(err, base.ErrNoSuchUser) {
		t.Fatalf("GetQuota: %v", err)
	}
	if _, err := s.SetQuota("nobody", 1, 1); !errors.Is(err, base.ErrNoSuchUser) {
		t.Fatalf("SetQuota: %v", err)
	}
}

// TestQuotaFollowsRenameAndDelete checks that the quota record moves with
// RenameUser and goes with DeleteUser (it is one of schema.UserTables).
func TestQuotaFollowsRenameAndDelete(t *testing.T) {
	s := testStore(t, nil)
	if err := s.CreateUser("ann", "h", 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetQuota("ann", 10, 5); err != nil {
		t.Fatal(err)
	}
	inbox, err := s.GetMailbox("ann", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Append(&metadatapb.AppendRequest{User: "ann", MailboxId: inbox.Id, Messages: []*metadatapb.NewMessage{
		{Meta: &metadatapb.MessageMeta{BlobId: blob(1), Size: 2048}},
	}}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RenameUser("ann", "anne"); err != nil {
		t.Fatal(err)
	}
	q, err := s.GetQuota("anne")
	if err != nil {
		t.Fatal(err)
	}
	if q.StorageLimitKib != 10 || q.MessageLimit != 5 || q.StorageUsedBytes != 2048 || q.MessagesUsed != 1 {
		t.Fatalf("after rename: %v", q)
	}
	if err := s.DeleteUser("anne"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser("anne", "h", 1000); err != nil {
		t.Fatal(err)
	}
	q, err = s.GetQuota("anne")
	if err != nil {
		t.Fatal(err)
	}
	if q.StorageLimitKib != 0 || q.MessageLimit != 0 || q.StorageUsedBytes != 0 || q.MessagesUsed != 0 {
		t.Fatalf("recreated user inherits %v", q)
	}
}

// TestQuotaMigration rewinds a store to schema version 2 without quota
// records and checks that Migrate computes every user's usage.
func TestQuotaMigration(t *testing.T) {
	s := testStore(t, nil)
	if _, err := schema.Migrate(s.db); err != nil {
		t.Fatal(err)
	}
	if _, err := schema.Shards(s.db, 16, 16); err != nil {
		t.Fatal(err)
	}
	for i, u := range []string{"ann", "bob"} {
		if err := s.CreateUser(u, "h", 1000); err != nil {
			t.Fatal(err)
		}
		for _, box := range []string{"INBOX", "Archive"} {
			mb, err := s.GetMailbox(u, box)
			if err != nil {
				t.Fatal(err)
			}
			req := &metadatapb.AppendRequest{User: u, MailboxId: mb.Id}
			for n := 0; n <= i; n++ {
				req.Messages = append(req.Messages, &metadatapb.NewMessage{Meta: &metadatapb.MessageMeta{BlobId: blob(n), Size: 1000}})
			}
			if _, err := s.Append(req, 1000); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.db.Delete(schema.QuotaKey(s.shardOf(u), u), pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.db.Set(schema.VersionKey(), schema.EncodeU32(2), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if from, err := schema.Migrate(s.db); err != nil || from != 2 {
		t.Fatalf("migrate: from %d, %v", from, err)
	}
	for i, u := range []string{"ann", "bob"} {
		q, err := s.GetQuota(u)
		if err != nil {
			t.Fatal(err)
		}
		want := uint64(2 * (i + 1))
		if q.MessagesUsed != want || q.StorageUsedBytes != want*1000 || q.StorageLimitKib != 0 {
			t.Errorf("%s after migration: %v, want %d messages", u, q, want)
		}
	}
}
