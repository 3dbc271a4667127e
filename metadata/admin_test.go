package metadata

import (
	"context"
	"testing"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

func TestAdminRenameUser(t *testing.T) {
	e := newEnv(t)
	c, a := e.client, e.node.Admin()
	ctx := context.Background()
	e.createUser(t, "alice")
	e.createUser(t, "bob")
	inbox := e.mailbox(t, "alice", "INBOX")
	must(c.Append(ctx, &metadatapb.AppendRequest{User: "alice", MailboxId: inbox.Id, Messages: newMessages(3, 0)}))
	must(c.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "alice", Name: "Work/2026"}))

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := must(c.Watch(wctx, &metadatapb.WatchRequest{User: "alice"}))
	must(w.Header())

	// Pick a new name in another shard, so keys move between shards.
	to := "carol"
	for i := 0; base.ShardOf(to, e.node.shards) == base.ShardOf("alice", e.node.shards); i++ {
		to = "carol" + string(rune('a'+i))
	}
	for _, tc := range []struct {
		from, to string
		want     error
	}{
		{"alice", "bob", base.ErrUserExists},
		{"nobody", "dave", base.ErrNoSuchUser},
		{"alice", "alice", base.ErrInvalidArgument},
		{"alice", "bad\x00name", base.ErrInvalidArgument},
	} {
		_, err := a.RenameUser(ctx, &metadatapb.RenameUserRequest{User: tc.from, NewName: tc.to})
		isErr(t, metadatapb.ToStatus(err), tc.want)
	}
	must(a.RenameUser(ctx, &metadatapb.RenameUserRequest{User: "alice", NewName: to}))

	if ev := must(w.Recv()); !ev.Logout {
		t.Fatalf("old name's watcher got %v, want logout", ev)
	}
	_, err := c.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: "alice"})
	isErr(t, err, base.ErrNoSuchUser)
	list := must(c.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: to}))
	names := map[string]*metadatapb.Mailbox{}
	for _, m := range list.Mailboxes {
		names[m.Name] = m
	}
	if names["INBOX"].GetMessages() != 3 || names["Work/2026"] == nil || len(list.Subscribed) == 0 {
		t.Fatalf("renamed user's mailboxes %v", list)
	}
	must(c.Authenticate(ctx, &metadatapb.AuthenticateRequest{User: to, Password: "pw-alice"}))
	sel := must(c.Select(ctx, &metadatapb.SelectRequest{User: to, MailboxId: names["INBOX"].Id}))
	if len(sel.Uids) != 3 {
		t.Fatalf("selected %d messages after rename, want 3", len(sel.Uids))
	}
	// No key of the old name is left in any table.
	for _, tab := range schema.UserTables {
		p := schema.UserPrefix(base.ShardOf("alice", e.node.shards), tab, "alice")
		it := must(e.node.db.NewIter(nil))
		it.SeekGE(p)
		if it.Valid() && len(it.Key()) >= len(p) && string(it.Key()[:len(p)]) == string(p) {
			t.Errorf("table %#x still has key %x", tab, it.Key())
		}
		it.Close()
	}
	users := must(c.ListUsers(ctx, &metadatapb.ListUsersRequest{}))
	if len(users.Users) != 2 {
		t.Fatalf("users after rename %v", users.Users)
	}
}

func TestAdminLogoutAndStatus(t *testing.T) {
	e := newEnv(t)
	c, a := e.client, e.node.Admin()
	ctx := context.Background()
	e.createUser(t, "bob")
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := must(c.Watch(wctx, &metadatapb.WatchRequest{User: "bob"}))
	must(w.Header())
	must(a.Logout(ctx, &metadatapb.LogoutRequest{User: "bob"}))
	if ev := must(w.Recv()); !ev.Logout || ev.MailboxId != 0 {
		t.Fatalf("event %v, want logout", ev)
	}
	_, err := a.Logout(ctx, &metadatapb.LogoutRequest{User: "nobody"})
	isErr(t, metadatapb.ToStatus(err), base.ErrNoSuchUser)

	st := must(a.NodeStatus(ctx, &metadatapb.NodeStatusRequest{}))
	if st.Shards != 16 || st.Users != 1 || st.SchemaVersion != schema.Version {
		t.Fatalf("status %v", st)
	}
}
