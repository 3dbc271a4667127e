package metadata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/password"
	"github.com/postbus/postbus/proto/metadatapb"
)

// fastPasswords keeps tests quick; production uses password.Default.
var fastPasswords = password.Params{Memory: 64, Time: 1, Threads: 1}

// testClock is a deterministic clock that advances one second per read.
type testClock struct{ t atomic.Int64 }

func (c *testClock) now() time.Time { return time.Unix(c.t.Add(1), 0) }

// env is a node served over a real gRPC server on an in-memory listener.
type env struct {
	node   *Node
	client metadatapb.MetadataClient
	stop   func()
}

func openNode(t testing.TB, dir string, shards uint32) *Node {
	t.Helper()
	clock := &testClock{}
	clock.t.Store(1_700_000_000)
	n, err := Open(Options{Dir: dir, Shards: shards, Logger: slog.New(slog.DiscardHandler), Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	n.pwParams = fastPasswords
	return n
}

// serve starts a gRPC server for n and returns a client. stop ends the
// server first and then closes the node, as cmd/postbus must.
func serve(t testing.TB, n *Node) *env {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	metadatapb.RegisterMetadataServer(srv, n)
	go srv.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{node: n, client: metadatapb.NewMetadataClient(conn)}
	stopped := false
	e.stop = func() {
		if stopped {
			return
		}
		stopped = true
		conn.Close()
		srv.Stop()
		if err := n.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	t.Cleanup(e.stop)
	return e
}

func newEnv(t testing.TB) *env {
	return serve(t, openNode(t, t.TempDir(), 16))
}

// isErr checks that a gRPC error carries the given sentinel.
func isErr(t *testing.T, err, want error) {
	t.Helper()
	if got := metadatapb.FromStatus(err); !errors.Is(got, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}

// must returns v, and fails the test (by panicking, which the test runner
// reports with the stack) if err is not nil. Go does not let a helper take
// t alongside a multi-value call, hence the panic.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

func blobID(n int) string { return fmt.Sprintf("%064x", n) }

func newMessages(n, seed int, flags ...string) []*metadatapb.NewMessage {
	out := make([]*metadatapb.NewMessage, n)
	for i := range out {
		out[i] = &metadatapb.NewMessage{
			Meta:  &metadatapb.MessageMeta{BlobId: blobID(seed + i), Size: uint64(100 + seed + i), Subject: fmt.Sprintf("msg %d", seed+i)},
			Flags: flags,
		}
	}
	return out
}

func (e *env) createUser(t testing.TB, user string) {
	t.Helper()
	must(e.client.CreateUser(context.Background(), &metadatapb.CreateUserRequest{User: user, Password: "pw-" + user}))
}

func (e *env) mailbox(t testing.TB, user, name string) *metadatapb.Mailbox {
	t.Helper()
	return must(e.client.GetMailbox(context.Background(), &metadatapb.GetMailboxRequest{User: user, Name: name}))
}

func TestUsersRPC(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	e.createUser(t, "bob")
	e.createUser(t, "alice")

	_, err := c.CreateUser(ctx, &metadatapb.CreateUserRequest{User: "bob", Password: "x"})
	isErr(t, err, base.ErrUserExists)
	for _, bad := range []string{"", "a b", "a\x00b", string(make([]byte, 256))} {
		_, err = c.CreateUser(ctx, &metadatapb.CreateUserRequest{User: bad, Password: "x"})
		isErr(t, err, base.ErrInvalidArgument)
	}
	_, err = c.CreateUser(ctx, &metadatapb.CreateUserRequest{User: "carol", Password: ""})
	isErr(t, err, base.ErrInvalidArgument)

	must(c.Authenticate(ctx, &metadatapb.AuthenticateRequest{User: "bob", Password: "pw-bob"}))
	for _, tc := range []struct{ user, pw string }{{"bob", "pw-alice"}, {"bob", ""}, {"nobody", "pw-bob"}, {"bad user", "x"}} {
		_, err = c.Authenticate(ctx, &metadatapb.AuthenticateRequest{User: tc.user, Password: tc.pw})
		isErr(t, err, base.ErrAuthFailed)
	}

	must(c.SetPassword(ctx, &metadatapb.SetPasswordRequest{User: "bob", Password: "new"}))
	_, err = c.Authenticate(ctx, &metadatapb.AuthenticateRequest{User: "bob", Password: "pw-bob"})
	isErr(t, err, base.ErrAuthFailed)
	must(c.Authenticate(ctx, &metadatapb.AuthenticateRequest{User: "bob", Password: "new"}))
	_, err = c.SetPassword(ctx, &metadatapb.SetPasswordRequest{User: "nobody", Password: "new"})
	isErr(t, err, base.ErrNoSuchUser)

	users := must(c.ListUsers(ctx, &metadatapb.ListUsersRequest{})).Users
	if fmt.Sprint(users) != "[alice bob]" {
		t.Fatalf("users = %v", users)
	}

	// Deleting a user removes everything; a recreated user starts afresh.
	must(c.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: e.mailbox(t, "bob", "INBOX").Id, Messages: newMessages(2, 0)}))
	must(c.DeleteUser(ctx, &metadatapb.DeleteUserRequest{User: "bob"}))
	_, err = c.DeleteUser(ctx, &metadatapb.DeleteUserRequest{User: "bob"})
	isErr(t, err, base.ErrNoSuchUser)
	_, err = c.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: "bob"})
	isErr(t, err, base.ErrNoSuchUser)
	_, err = c.Authenticate(ctx, &metadatapb.AuthenticateRequest{User: "bob", Password: "new"})
	isErr(t, err, base.ErrAuthFailed)
	users = must(c.ListUsers(ctx, &metadatapb.ListUsersRequest{})).Users
	if fmt.Sprint(users) != "[alice]" {
		t.Fatalf("users after delete = %v", users)
	}
	e.createUser(t, "bob")
	if mb := e.mailbox(t, "bob", "INBOX"); mb.Messages != 0 || mb.UidNext != 1 {
		t.Fatalf("recreated INBOX not empty: %v", mb)
	}
	// alice was not touched.
	if n := len(must(c.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: "alice"})).Mailboxes); n != 6 {
		t.Fatalf("alice has %d mailboxes", n)
	}
}

func TestPasswordHashIsArgon2id(t *testing.T) {
	e := newEnv(t)
	e.node.pwParams = password.Default
	e.createUser(t, "bob")
	h, err := e.node.st.PasswordHash("bob")
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; len(h) < len(want) || h[:len(want)] != want {
		t.Fatalf("stored hash %q", h)
	}
}

func TestMailboxesRPC(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	e.createUser(t, "bob")

	list := must(c.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: "bob"}))
	want := map[string]string{"INBOX": "", "Drafts": `\Drafts`, "Sent": `\Sent`, "Trash": `\Trash`, "Junk": `\Junk`, "Archive": `\Archive`}
	if len(list.Mailboxes) != len(want) || len(list.Subscribed) != len(want) {
		t.Fatalf("default mailboxes: %v", list)
	}
	for _, mb := range list.Mailboxes {
		if use, ok := want[mb.Name]; !ok || use != mb.SpecialUse || !mb.Subscribed || mb.UidValidity == 0 {
			t.Errorf("mailbox %v", mb)
		}
	}
	if mb := e.mailbox(t, "bob", "iNbOx"); mb.Name != "INBOX" {
		t.Fatalf("inbox lookup: %v", mb)
	}

	mb := must(c.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "bob", Name: "work/2024", SpecialUse: `\Flagged`}))
	if mb.Name != "work/2024" || mb.SpecialUse != `\Flagged` {
		t.Fatalf("created %v", mb)
	}
	parent := e.mailbox(t, "bob", "work")
	_, err := c.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "bob", Name: "work"})
	isErr(t, err, base.ErrMailboxExists)
	_, err = c.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "bob", Name: "a/*"})
	isErr(t, err, base.ErrInvalidName)
	_, err = c.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "nobody", Name: "x"})
	isErr(t, err, base.ErrNoSuchUser)
	_, err = c.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: "bob", Name: "missing"})
	isErr(t, err, base.ErrNoSuchMailbox)

	_, err = c.DeleteMailbox(ctx, &metadatapb.DeleteMailboxRequest{User: "bob", Name: "work"})
	isErr(t, err, base.ErrMailboxHasChild)
	_, err = c.DeleteMailbox(ctx, &metadatapb.DeleteMailboxRequest{User: "bob", Name: "inbox"})
	isErr(t, err, base.ErrInvalidName)

	// Rename keeps ids and renames children; the old name is free again.
	must(c.RenameMailbox(ctx, &metadatapb.RenameMailboxRequest{User: "bob", From: "work", To: "jobs/old"}))
	if got := e.mailbox(t, "bob", "jobs/old"); got.Id != parent.Id {
		t.Fatalf("rename changed id: %v vs %v", got, parent)
	}
	if got := e.mailbox(t, "bob", "jobs/old/2024"); got.Id != mb.Id {
		t.Fatalf("child not renamed: %v", got)
	}
	_, err = c.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: "bob", Name: "work"})
	isErr(t, err, base.ErrNoSuchMailbox)
	_, err = c.RenameMailbox(ctx, &metadatapb.RenameMailboxRequest{User: "bob", From: "jobs", To: "Sent"})
	isErr(t, err, base.ErrMailboxExists)

	// A recreated name has a different UIDVALIDITY.
	must(c.DeleteMailbox(ctx, &metadatapb.DeleteMailboxRequest{User: "bob", Name: "jobs/old/2024"}))
	again := must(c.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "bob", Name: "jobs/old/2024"}))
	if again.Id == mb.Id || again.UidValidity == mb.UidValidity {
		t.Fatalf("recreated mailbox reuses id or uidvalidity: %v vs %v", again, mb)
	}

	must(c.SetSubscribed(ctx, &metadatapb.SetSubscribedRequest{User: "bob", Name: "jobs", Subscribed: true}))
	must(c.SetSubscribed(ctx, &metadatapb.SetSubscribedRequest{User: "bob", Name: "Junk", Subscribed: false}))
	if !e.mailbox(t, "bob", "jobs").Subscribed || e.mailbox(t, "bob", "Junk").Subscribed {
		t.Fatal("subscription not applied")
	}
}

func TestMessagesRPC(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	e.createUser(t, "bob")
	inbox := e.mailbox(t, "bob", "INBOX")
	trash := e.mailbox(t, "bob", "Trash")

	app := must(c.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: newMessages(300, 0)}))
	if len(app.Uids) != 300 || app.Uids[0] != 1 || app.Uids[299] != 300 || app.UidValidity != inbox.UidValidity {
		t.Fatalf("append: %d uids, validity %d", len(app.Uids), app.UidValidity)
	}
	_, err := c.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: []*metadatapb.NewMessage{{Meta: &metadatapb.MessageMeta{BlobId: "../etc/passwd"}}}})
	isErr(t, err, base.ErrInvalidArgument)
	_, err = c.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: 999, Messages: newMessages(1, 0)})
	isErr(t, err, base.ErrNoSuchMailbox)

	sel := must(c.Select(ctx, &metadatapb.SelectRequest{User: "bob", MailboxId: inbox.Id, ClaimRecent: true}))
	if len(sel.Uids) != 300 || len(sel.RecentUids) != 300 || sel.FirstUnseenUid != 1 || sel.Mailbox.Recent != 300 {
		t.Fatalf("select: %d uids %d recent first-unseen %d", len(sel.Uids), len(sel.RecentUids), sel.FirstUnseenUid)
	}
	if sel2 := must(c.Select(ctx, &metadatapb.SelectRequest{User: "bob", MailboxId: inbox.Id, ClaimRecent: true})); len(sel2.RecentUids) != 0 {
		t.Fatalf("recent claimed twice: %d", len(sel2.RecentUids))
	}

	// Fetch streams in batches of fetchBatch.
	stream := must(c.Fetch(ctx, &metadatapb.FetchRequest{User: "bob", MailboxId: inbox.Id, Uids: &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: 1, Stop: 0}}}, WantMeta: true}))
	var batches, records int
	var last uint32
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		batches++
		for _, r := range resp.Messages {
			records++
			if r.State.Uid <= last || r.Meta == nil || r.Meta.Subject != fmt.Sprintf("msg %d", r.State.Uid-1) {
				t.Fatalf("record %v after uid %d", r, last)
			}
			last = r.State.Uid
		}
	}
	if batches != 2 || records != 300 {
		t.Fatalf("fetch: %d batches %d records", batches, records)
	}

	st := must(c.Store(ctx, &metadatapb.StoreRequest{User: "bob", MailboxId: inbox.Id, Uids: metadatapb.NewUidSet(1, 2, 3), Op: metadatapb.StoreOp_STORE_ADD, Flags: []string{`\Deleted`, `\Seen`}}))
	if len(st.Messages) != 3 || st.Modseq <= app.Modseq {
		t.Fatalf("store: %v", st)
	}
	exp := must(c.Expunge(ctx, &metadatapb.ExpungeRequest{User: "bob", MailboxId: inbox.Id}))
	if fmt.Sprint(exp.Uids) != "[1 2 3]" || exp.Modseq != st.Modseq+1 {
		t.Fatalf("expunge: %v", exp)
	}
	mv := must(c.Copy(ctx, &metadatapb.CopyRequest{User: "bob", MailboxId: inbox.Id, DestMailboxId: trash.Id, Uids: metadatapb.NewUidSet(4, 5), Move: true}))
	if fmt.Sprint(mv.DestUids) != "[1 2]" || fmt.Sprint(mv.Expunged) != "[4 5]" {
		t.Fatalf("move: %v", mv)
	}
	ch := must(c.Changes(ctx, &metadatapb.ChangesRequest{User: "bob", MailboxId: inbox.Id, SinceModseq: app.Modseq}))
	if fmt.Sprint(ch.Expunged) != "[1 2 3 4 5]" || len(ch.Changed) != 0 || ch.UidNext != 301 {
		t.Fatalf("changes: %v", ch)
	}
	got := e.mailbox(t, "bob", "INBOX")
	if got.Messages != 295 || got.Unseen != 295 || got.Deleted != 0 || got.Recent != 0 {
		t.Fatalf("counters: %v", got)
	}

	// A deleted mailbox reports mailbox_gone.
	must(c.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "bob", Name: "tmp"}))
	tmp := e.mailbox(t, "bob", "tmp")
	must(c.DeleteMailbox(ctx, &metadatapb.DeleteMailboxRequest{User: "bob", Name: "tmp"}))
	if ch := must(c.Changes(ctx, &metadatapb.ChangesRequest{User: "bob", MailboxId: tmp.Id})); !ch.MailboxGone {
		t.Fatalf("changes on deleted mailbox: %v", ch)
	}
	// RENAME INBOX.
	must(c.RenameMailbox(ctx, &metadatapb.RenameMailboxRequest{User: "bob", From: "INBOX", To: "old"}))
	old := e.mailbox(t, "bob", "old")
	if old.Messages != 295 || old.UidValidity == inbox.UidValidity || e.mailbox(t, "bob", "INBOX").Messages != 0 {
		t.Fatalf("rename INBOX: %v", old)
	}
}

// TestSearchRPC checks the plumbing to package search with keys every
// evaluator answers from state and meta alone.
func TestSearchRPC(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	e.createUser(t, "bob")
	inbox := e.mailbox(t, "bob", "INBOX")
	must(c.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: newMessages(5, 0)}))
	st := must(c.Store(ctx, &metadatapb.StoreRequest{User: "bob", MailboxId: inbox.Id, Uids: metadatapb.NewUidSet(2, 4), Op: metadatapb.StoreOp_STORE_ADD, Flags: []string{`\Flagged`}}))

	for _, tc := range []struct {
		name   string
		key    *metadatapb.SearchKey
		want   string
		modseq uint64
	}{
		{"all", &metadatapb.SearchKey{Key: &metadatapb.SearchKey_All{All: true}}, "[1 2 3 4 5]", st.Modseq},
		{"flag", &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Flag{Flag: `\Flagged`}}, "[2 4]", st.Modseq},
		{"uid", &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Uids{Uids: metadatapb.NewUidSet(1, 3)}}, "[1 3]", st.Modseq - 1},
		{"larger", &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Larger{Larger: 102}}, "[4 5]", st.Modseq},
	} {
		resp, err := c.Search(ctx, &metadatapb.SearchRequest{User: "bob", MailboxId: inbox.Id, Key: tc.key, Now: 1_700_000_000})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if fmt.Sprint(resp.Uids) != tc.want || resp.HighestModseq != tc.modseq {
			t.Errorf("%s: uids %v modseq %d, want %s %d", tc.name, resp.Uids, resp.HighestModseq, tc.want, tc.modseq)
		}
	}
	_, err := c.Search(ctx, &metadatapb.SearchRequest{User: "bob", MailboxId: inbox.Id})
	isErr(t, err, base.ErrInvalidArgument)
}

func TestWatchRPC(t *testing.T) {
	e := newEnv(t)
	c := e.client
	e.createUser(t, "bob")
	inbox := e.mailbox(t, "bob", "INBOX")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	_, err := must(c.Watch(ctx, &metadatapb.WatchRequest{User: "nobody"})).Recv()
	isErr(t, err, base.ErrNoSuchUser)

	w := must(c.Watch(ctx, &metadatapb.WatchRequest{User: "bob"}))
	// The header is the node's word that the subscription is registered:
	// a change committed right after it must be delivered.
	must(w.Header())
	if n := e.node.hub.Subscribers("bob"); n != 1 {
		t.Fatalf("header received with %d subscribers registered, want 1", n)
	}
	app := must(c.Append(context.Background(), &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: newMessages(1, 0)}))
	ev := must(w.Recv())
	if ev.MailboxId != inbox.Id || ev.Modseq != app.Modseq || ev.MailboxesChanged {
		t.Fatalf("append event %v", ev)
	}
	mb := must(c.CreateMailbox(context.Background(), &metadatapb.CreateMailboxRequest{User: "bob", Name: "new"}))
	ev = must(w.Recv())
	if ev.MailboxId != mb.Id || !ev.MailboxesChanged {
		t.Fatalf("create event %v", ev)
	}
	// Another user's changes are not seen; closing the node ends the stream.
	e.createUser(t, "alice")
	e.node.cancel()
	if ev, err := w.Recv(); err == nil {
		t.Fatalf("got %v after close, or alice's change leaked", ev)
	}
}

func TestDurability(t *testing.T) {
	dir := t.TempDir()
	e := serve(t, openNode(t, dir, 8))
	ctx := context.Background()
	e.createUser(t, "bob")
	inbox := e.mailbox(t, "bob", "INBOX")
	app := must(e.client.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: newMessages(10, 0, `\Seen`)}))
	must(e.client.Store(ctx, &metadatapb.StoreRequest{User: "bob", MailboxId: inbox.Id, Uids: metadatapb.NewUidSet(3), Op: metadatapb.StoreOp_STORE_ADD, Flags: []string{`\Deleted`}}))
	must(e.client.Expunge(ctx, &metadatapb.ExpungeRequest{User: "bob", MailboxId: inbox.Id}))
	must(e.client.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "bob", Name: "kept"}))
	before := e.mailbox(t, "bob", "INBOX")
	e.stop()

	if _, err := Open(Options{Dir: dir, Shards: 16, Logger: slog.New(slog.DiscardHandler)}); err == nil {
		t.Fatal("reopen with a different shard count succeeded")
	}
	e2 := serve(t, openNode(t, dir, 0))
	if e2.node.shards != 8 {
		t.Fatalf("shards = %d after reopen, want the persisted 8", e2.node.shards)
	}
	after := e2.mailbox(t, "bob", "INBOX")
	if after.String() != before.String() {
		t.Fatalf("INBOX changed across reopen:\n%v\n%v", before, after)
	}
	if after.Messages != 9 || after.UidNext != 11 || after.Unseen != 0 {
		t.Fatalf("INBOX after reopen: %v", after)
	}
	e2.mailbox(t, "bob", "kept")
	must(e2.client.Authenticate(ctx, &metadatapb.AuthenticateRequest{User: "bob", Password: "pw-bob"}))
	ch := must(e2.client.Changes(ctx, &metadatapb.ChangesRequest{User: "bob", MailboxId: inbox.Id, SinceModseq: app.Modseq}))
	if fmt.Sprint(ch.Expunged) != "[3]" {
		t.Fatalf("expunge log after reopen: %v", ch)
	}
	// New UIDs continue after the old ones.
	app2 := must(e2.client.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: newMessages(1, 50)}))
	if app2.Uids[0] != 11 || app2.Modseq <= ch.HighestModseq {
		t.Fatalf("append after reopen: %v", app2)
	}
}

func TestClosedNode(t *testing.T) {
	n := openNode(t, t.TempDir(), 4)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	_, err := n.ListMailboxes(context.Background(), &metadatapb.ListMailboxesRequest{User: "bob"})
	isErr(t, err, base.ErrUnavailable)
}

func TestConcurrentAppends(t *testing.T) {
	e := newEnv(t)
	e.createUser(t, "bob")
	inbox := e.mailbox(t, "bob", "INBOX")
	const workers, per = 8, 20
	type result struct {
		uids   []uint32
		modseq []uint64
		err    error
	}
	results := make(chan result, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			var r result
			for i := 0; i < per; i++ {
				resp, err := e.client.Append(context.Background(), &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: newMessages(1, w*per+i)})
				if err != nil {
					r.err = err
					break
				}
				r.uids = append(r.uids, resp.Uids[0])
				r.modseq = append(r.modseq, resp.Modseq)
			}
			results <- r
		}(w)
	}
	seenUID := map[uint32]bool{}
	seenModSeq := map[uint64]bool{}
	for w := 0; w < workers; w++ {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		for i, u := range r.uids {
			if i > 0 && (u <= r.uids[i-1] || r.modseq[i] <= r.modseq[i-1]) {
				t.Fatalf("one client's appends not increasing: %v %v", r.uids, r.modseq)
			}
			if seenUID[u] || seenModSeq[r.modseq[i]] {
				t.Fatalf("uid %d or modseq %d handed out twice", u, r.modseq[i])
			}
			seenUID[u], seenModSeq[r.modseq[i]] = true, true
		}
	}
	mb := e.mailbox(t, "bob", "INBOX")
	if mb.Messages != workers*per || mb.UidNext != workers*per+1 || len(seenUID) != workers*per {
		t.Fatalf("after concurrent appends: %v", mb)
	}
	for u := uint32(1); u <= workers*per; u++ {
		if !seenUID[u] {
			t.Fatalf("uid %d missing: UIDs must be dense when nothing failed", u)
		}
	}
}
