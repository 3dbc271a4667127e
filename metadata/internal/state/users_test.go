package state

import (
	"bytes"
	"errors"
	"testing"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// TestDeleteUserRemovesEveryKey checks that no key of a deleted user is
// left in any table, and that a neighbour with a prefix name is untouched.
func TestDeleteUserRemovesEveryKey(t *testing.T) {
	s := testStore(t, nil)
	for _, u := range []string{"bob", "bob2"} {
		if err := s.CreateUser(u, "h", 100); err != nil {
			t.Fatal(err)
		}
		mb, err := s.GetMailbox(u, "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(&metadatapb.AppendRequest{User: u, MailboxId: mb.Id, Messages: []*metadatapb.NewMessage{
			{Meta: &metadatapb.MessageMeta{BlobId: blob(1)}}, {Meta: &metadatapb.MessageMeta{BlobId: blob(2)}, Flags: []string{`\Deleted`}},
		}}, 100); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Expunge(&metadatapb.ExpungeRequest{User: u, MailboxId: mb.Id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUser("bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser("bob"); !errors.Is(err, base.ErrNoSuchUser) {
		t.Fatalf("second delete: %v", err)
	}
	countKeys := func(user string) int {
		n := 0
		snap := s.db.NewSnapshot()
		defer snap.Close()
		for _, tab := range schema.UserTables {
			p := schema.UserPrefix(s.shardOf(user), tab, user)
			if err := scan(snap, p, schema.PrefixEnd(p), func(k, _ []byte) (bool, error) {
				if !bytes.HasPrefix(k, p) {
					t.Fatalf("scan left the prefix")
				}
				n++
				return true, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		return n
	}
	if n := countKeys("bob"); n != 0 {
		t.Fatalf("%d keys of bob left", n)
	}
	if n := countKeys("bob2"); n == 0 {
		t.Fatal("bob2 lost its keys")
	}
	users, err := s.ListUsers()
	if err != nil || len(users) != 1 || users[0] != "bob2" {
		t.Fatalf("users = %v, %v", users, err)
	}
}
