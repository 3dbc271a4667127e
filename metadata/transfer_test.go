package metadata

import (
	"context"
	"errors"
	"testing"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// TestShardTransfer exports one shard of a node with mail and imports it
// into an empty node: the user, the messages and UIDNEXT arrive, nothing
// of other shards moves, and the source can drop its copy.
func TestShardTransfer(t *testing.T) {
	src := openNode(t, t.TempDir(), 8)
	dst := openNode(t, t.TempDir(), 8)
	es := serve(t, src)
	ctx := context.Background()
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		if _, err := es.client.CreateUser(ctx, &metadatapb.CreateUserRequest{User: u, Password: "pw"}); err != nil {
			t.Fatal(err)
		}
	}
	inbox, err := es.client.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: "alice", Name: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := es.client.Append(ctx, &metadatapb.AppendRequest{User: "alice", MailboxId: inbox.Id, Messages: newMessages(3, 1)}); err != nil {
		t.Fatal(err)
	}
	shard := base.ShardOf("alice", 8)

	imp, err := dst.BeginShardImport(shard)
	if err != nil {
		t.Fatal(err)
	}
	var sent uint64
	err = src.ExportShard(ctx, shard, func(k, v []byte) error {
		sent++
		return imp.Put(k, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := imp.Finish()
	if err != nil || n != sent || n == 0 {
		t.Fatalf("Finish = %d, %v; sent %d", n, err, sent)
	}
	ed := serve(t, dst)
	sel, err := ed.client.Select(ctx, &metadatapb.SelectRequest{User: "alice", MailboxId: inbox.Id})
	if err != nil || len(sel.Uids) != 3 || sel.Mailbox.UidNext != 4 {
		t.Fatalf("imported mailbox: %v, %v", sel, err)
	}
	for _, u := range []string{"bob", "carol", "dave"} {
		if base.ShardOf(u, 8) == shard {
			continue
		}
		if _, err := ed.client.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: u, Name: "INBOX"}); !errors.Is(metadatapb.FromStatus(err), base.ErrNoSuchUser) {
			t.Errorf("user %s of another shard at the destination: %v", u, err)
		}
	}

	if err := src.DropShard(shard); err != nil {
		t.Fatal(err)
	}
	if has, err := src.ShardHasData(shard); has || err != nil {
		t.Fatalf("after drop: has %v, %v", has, err)
	}
	if err := src.ExportShard(ctx, 8, nil); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("export of shard 8 of 8: %v", err)
	}
}

// TestShardImportRefusesForeignKeys: an import takes only keys of its
// shard, and Abort leaves the range empty.
func TestShardImportRefusesForeignKeys(t *testing.T) {
	n := openNode(t, t.TempDir(), 8)
	imp, err := n.BeginShardImport(3)
	if err != nil {
		t.Fatal(err)
	}
	if err := imp.Put(schema.UserKey(3, "x"), []byte{1}); err != nil {
		t.Fatal(err)
	}
	for _, k := range [][]byte{schema.UserKey(4, "x"), schema.UserKey(2, "x"), schema.VersionKey(), {0, 0, 0}} {
		if err := imp.Put(k, nil); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("Put(%x): %v, want ErrInvalidArgument", k, err)
		}
	}
	if _, err := imp.Finish(); err != nil {
		t.Fatal(err)
	}
	if has, _ := n.ShardHasData(3); !has {
		t.Fatal("finished import wrote nothing")
	}
	imp, err = n.BeginShardImport(3)
	if err != nil {
		t.Fatal(err)
	}
	if has, _ := n.ShardHasData(3); has {
		t.Fatal("a new import did not clear the range first")
	}
	imp.Put(schema.UserKey(3, "y"), []byte{1})
	if err := imp.Abort(); err != nil {
		t.Fatal(err)
	}
	if has, _ := n.ShardHasData(3); has {
		t.Fatal("aborted import left data")
	}
}
