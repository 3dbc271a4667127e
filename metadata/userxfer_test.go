package metadata

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// adminClient serves n's Admin service over an in-memory listener.
func adminClient(t *testing.T, n *Node) metadatapb.AdminClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	metadatapb.RegisterAdminServer(srv, n.Admin())
	go srv.Serve(lis)
	cc, err := grpc.NewClient("passthrough:///admin",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close(); srv.Stop() })
	return metadatapb.NewAdminClient(cc)
}

// moveUser copies user from src to dst as name and returns the checksum.
func moveUser(t *testing.T, src, dst metadatapb.AdminClient, user, name string, tamper func([]*metadatapb.UserData)) (uint64, error) {
	t.Helper()
	ctx := context.Background()
	ex, err := src.ExportUser(ctx, &metadatapb.ExportUserRequest{User: user})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*metadatapb.UserData
	for {
		m, err := ex.Recv()
		if err != nil {
			return 0, err
		}
		msgs = append(msgs, m)
		if m.Last {
			break
		}
	}
	msgs[0].User = name
	if tamper != nil {
		tamper(msgs)
	}
	im, err := dst.ImportUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := im.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	_, err = im.CloseAndRecv()
	return msgs[len(msgs)-1].Checksum, err
}

func TestMoveUserBetweenNodes(t *testing.T) {
	a, b := newEnv(t), newEnv(t)
	aa, ba := adminClient(t, a.node), adminClient(t, b.node)
	ctx := context.Background()
	a.createUser(t, "alice")
	b.createUser(t, "bob")
	inbox := a.mailbox(t, "alice", "INBOX")
	must(a.client.Append(ctx, &metadatapb.AppendRequest{User: "alice", MailboxId: inbox.Id, Messages: newMessages(5, 0)}))
	must(a.client.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "alice", Name: "Work"}))

	// Refusals: a taken name, a damaged stream, an unknown user.
	_, err := moveUser(t, aa, ba, "alice", "bob", nil)
	isErr(t, err, base.ErrUserExists)
	_, err = moveUser(t, aa, ba, "alice", "carol", func(m []*metadatapb.UserData) { m[0].Keys[0].Value = []byte("x") })
	isErr(t, err, base.ErrInvalidArgument)
	ex := must(aa.ExportUser(ctx, &metadatapb.ExportUserRequest{User: "nobody"}))
	_, err = ex.Recv()
	isErr(t, err, base.ErrNoSuchUser)

	// A change between export and delete is a conflict: nothing deleted.
	sum := must(moveUser(t, aa, ba, "alice", "carol", nil))
	must(a.client.Store(ctx, &metadatapb.StoreRequest{User: "alice", MailboxId: inbox.Id, Uids: &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: 1, Stop: 1}}}, Flags: []string{`\Seen`}, Op: metadatapb.StoreOp_STORE_ADD}))
	_, err = aa.DeleteUserIfUnchanged(ctx, &metadatapb.DeleteUserIfUnchangedRequest{User: "alice", Checksum: sum})
	isErr(t, err, base.ErrConflict)
	must(b.client.DeleteUser(ctx, &metadatapb.DeleteUserRequest{User: "carol"})) // the caller's undo

	// The real move.
	sum = must(moveUser(t, aa, ba, "alice", "carol", nil))
	must(aa.DeleteUserIfUnchanged(ctx, &metadatapb.DeleteUserIfUnchangedRequest{User: "alice", Checksum: sum}))
	_, err = a.client.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: "alice"})
	isErr(t, err, base.ErrNoSuchUser)
	must(b.client.Authenticate(ctx, &metadatapb.AuthenticateRequest{User: "carol", Password: "pw-alice"}))
	sel := must(b.client.Select(ctx, &metadatapb.SelectRequest{User: "carol", MailboxId: b.mailbox(t, "carol", "INBOX").Id}))
	if len(sel.Uids) != 5 || sel.Mailbox.Unseen != 4 {
		t.Fatalf("moved INBOX: %v", sel)
	}
	b.mailbox(t, "carol", "Work")
}
