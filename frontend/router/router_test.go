package router_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"github.com/postbus/postbus/frontend/router"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/cluster/clustertest"
	"github.com/postbus/postbus/proto/metadatapb"
)

const testShards = 16

// testCluster is an etcd, some nodes and a router over them.
type testCluster struct {
	t     *testing.T
	cli   *clientv3.Client
	nodes map[string]*clustertest.Node
	w     *cluster.MapWatcher
	r     *router.Router
}

func newCluster(t *testing.T, n int) *testCluster {
	_, cli := clustertest.Etcd(t)
	c := &testCluster{t: t, cli: cli, nodes: map[string]*clustertest.Node{}}
	for i := 0; i < n; i++ {
		c.start(fmt.Sprintf("n%d", i), "")
	}
	w, err := cluster.Watch(context.Background(), cli, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	c.w = w
	c.r = router.New(w, router.Options{})
	t.Cleanup(func() { c.r.Close() })
	c.waitBalanced(n)
	return c
}

func (c *testCluster) start(id, dir string) *clustertest.Node {
	n := clustertest.StartNode(c.t, c.cli, clustertest.Config{ID: id, Dir: dir, Shards: testShards,
		Member: cluster.MemberOptions{MaxMoves: 2}})
	c.nodes[id] = n
	return n
}

// waitBalanced waits for a complete map spread evenly over n live nodes.
func (c *testCluster) waitBalanced(n int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := c.w.WaitFor(ctx, func(m *cluster.ShardMap) bool {
		if !m.Complete() || len(m.Nodes) != n {
			return false
		}
		lo, hi := int(m.Shards), 0
		for _, id := range m.NodeIDs() {
			k := len(m.Owned(id))
			lo, hi = min(lo, k), max(hi, k)
		}
		return hi-lo <= 1
	})
	if err != nil {
		c.t.Fatalf("map not balanced over %d nodes: %v", n, err)
	}
}

func blobID(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// createUsers creates n users through the router and returns them with
// their INBOX ids.
func (c *testCluster) createUsers(prefix string, n int) map[string]uint64 {
	c.t.Helper()
	ctx := ctxT(c.t)
	users := map[string]uint64{}
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("%s%d", prefix, i)
		if _, err := c.r.CreateUser(ctx, &metadatapb.CreateUserRequest{User: u, Password: "secret"}); err != nil {
			c.t.Fatalf("create %s: %v", u, err)
		}
		mb, err := c.r.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: u, Name: "INBOX"})
		if err != nil {
			c.t.Fatalf("INBOX of %s: %v", u, err)
		}
		users[u] = mb.Id
	}
	return users
}

func appendOne(ctx context.Context, r *router.Router, user string, inbox uint64, body string) (uint32, error) {
	resp, err := r.Append(ctx, &metadatapb.AppendRequest{User: user, MailboxId: inbox, Messages: []*metadatapb.NewMessage{{
		Meta: &metadatapb.MessageMeta{BlobId: blobID(body), Size: uint64(len(body)), Subject: body},
	}}})
	if err != nil {
		return 0, err
	}
	if len(resp.Uids) != 1 {
		return 0, fmt.Errorf("append answered %d uids", len(resp.Uids))
	}
	return resp.Uids[0], nil
}

// TestJoinUnderLoad spreads users over three nodes, then starts a fourth
// while clients append through the router. Shards move to the new node;
// afterwards every acknowledged message is there exactly once, UIDs rose
// strictly per mailbox, and no client call failed.
func TestJoinUnderLoad(t *testing.T) {
	c := newCluster(t, 3)
	users := c.createUsers("u", 24)
	owners := map[string]bool{}
	for u := range users {
		o, _, ok := c.w.OwnerOf(u)
		if !ok {
			t.Fatalf("no owner for %s", u)
		}
		owners[o.ID] = true
	}
	if len(owners) != 3 {
		t.Errorf("24 users on %d nodes, want all 3", len(owners))
	}
	// ListUsers merges the nodes' answers.
	lr, err := c.r.ListUsers(ctxT(t), &metadatapb.ListUsersRequest{})
	if err != nil || len(lr.Users) != len(users) {
		t.Fatalf("ListUsers = %v, %v; want %d users", lr.GetUsers(), err, len(users))
	}

	type acked struct {
		uid  uint32
		body string
	}
	var mu sync.Mutex
	acks := map[string][]acked{}
	var failures []error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	list := make([]string, 0, len(users))
	for u := range users {
		list = append(list, u)
	}
	const workers = 6
	for wkr := 0; wkr < workers; wkr++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				u := list[(i*workers+wkr)%len(list)]
				body := fmt.Sprintf("%s/%d/%d", u, wkr, i)
				uid, err := appendOne(ctx, c.r, u, users[u], body)
				mu.Lock()
				if err != nil {
					failures = append(failures, fmt.Errorf("append %s: %w", body, err))
				} else {
					acks[u] = append(acks[u], acked{uid, body})
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // some load before the join
	c.start("n3", "")
	c.waitBalanced(4)
	if got := len(c.w.Current().Owned("n3")); got < testShards/4 {
		t.Errorf("new node owns %d shards", got)
	}
	time.Sleep(300 * time.Millisecond) // some load after the moves
	close(stop)
	wg.Wait()

	for _, err := range failures {
		t.Error(err)
	}
	ctx := ctxT(t)
	total := 0
	for u, inbox := range users {
		// UIDs are handed out in commit order: per user, a later ack of the
		// same worker has a greater UID; over all workers, no UID twice.
		seen := map[uint32]string{}
		for _, a := range acks[u] {
			if prev, dup := seen[a.uid]; dup {
				t.Errorf("%s: UID %d acknowledged for %s and %s", u, a.uid, prev, a.body)
			}
			seen[a.uid] = a.body
		}
		sel, err := c.r.Select(ctx, &metadatapb.SelectRequest{User: u, MailboxId: inbox})
		if err != nil {
			t.Fatalf("select %s: %v", u, err)
		}
		if len(sel.Uids) != len(acks[u]) {
			t.Errorf("%s: %d messages stored, %d acknowledged", u, len(sel.Uids), len(acks[u]))
		}
		for i, uid := range sel.Uids {
			if i > 0 && uid <= sel.Uids[i-1] {
				t.Errorf("%s: UIDs not strictly increasing: %v", u, sel.Uids)
			}
			if _, ok := seen[uid]; !ok {
				t.Errorf("%s: stored UID %d was never acknowledged", u, uid)
			}
		}
		// The message behind each UID is the one acknowledged for it.
		st, err := c.r.Fetch(ctx, &metadatapb.FetchRequest{User: u, MailboxId: inbox, Uids: &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: 1}}}, WantMeta: true})
		if err != nil {
			t.Fatalf("fetch %s: %v", u, err)
		}
		for {
			resp, err := st.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("fetch %s: %v", u, err)
			}
			for _, rec := range resp.Messages {
				if want := seen[rec.State.Uid]; rec.Meta.Subject != want {
					t.Errorf("%s: UID %d holds %q, acknowledged %q", u, rec.State.Uid, rec.Meta.Subject, want)
				}
			}
		}
		// UIDNEXT moved with the shard: a new message gets a fresh UID.
		uid, err := appendOne(ctx, c.r, u, inbox, u+"/after")
		if err != nil {
			t.Fatalf("append after the join: %v", err)
		}
		if _, reused := seen[uid]; reused || (len(sel.Uids) > 0 && uid <= sel.Uids[len(sel.Uids)-1]) {
			t.Errorf("%s: UID %d after the join reuses or precedes %v", u, uid, sel.Uids)
		}
		total += len(acks[u])
	}
	if total == 0 {
		t.Fatal("no append was acknowledged")
	}
	t.Logf("%d appends acknowledged across the join", total)
	// Moved shards left no copy on their old owners.
	m := c.w.Current()
	for s := uint32(0); s < m.Shards; s++ {
		e, _ := m.Entry(s)
		for id, n := range c.nodes {
			if id == e.Owner {
				continue
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				has, err := n.Node.ShardHasData(s)
				if err != nil {
					t.Fatal(err)
				}
				if !has {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("node %s keeps shard %d owned by %s", id, s, e.Owner)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
}

// userOn returns a user of the set whose shard n owns.
func (c *testCluster) userOn(users map[string]uint64, node string) string {
	c.t.Helper()
	for u := range users {
		if o, _, ok := c.w.OwnerOf(u); ok && o.ID == node {
			return u
		}
	}
	c.t.Fatalf("no user on %s", node)
	return ""
}

// TestNodeDownAndBack stops a node: its users get ErrUnavailable at once,
// other users keep working; when it returns (same data, new address), its
// users work again without anyone touching the map.
func TestNodeDownAndBack(t *testing.T) {
	c := newCluster(t, 3)
	users := c.createUsers("d", 12)
	down := c.userOn(users, "n1")
	up := c.userOn(users, "n2")
	ctx := ctxT(t)

	n1 := c.nodes["n1"]
	n1.Stop()
	err := c.w.WaitFor(ctx, func(m *cluster.ShardMap) bool { _, live := m.Nodes["n1"]; return !live })
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = appendOne(ctx, c.r, down, users[down], "lost?")
	if !errors.Is(metadatapb.FromStatus(err), base.ErrUnavailable) {
		t.Fatalf("append for a user of a stopped node: %v, want ErrUnavailable", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("append waited for the whole test context (%v)", time.Since(start))
	}
	if _, err := c.r.Watch(ctx, &metadatapb.WatchRequest{User: down}); !errors.Is(metadatapb.FromStatus(err), base.ErrUnavailable) {
		t.Fatalf("watch for a user of a stopped node: %v", err)
	}
	if _, err := c.r.ListUsers(ctx, &metadatapb.ListUsersRequest{}); !errors.Is(metadatapb.FromStatus(err), base.ErrUnavailable) {
		t.Fatalf("ListUsers with a node down: %v", err)
	}
	if _, err := appendOne(ctx, c.r, up, users[up], "still here"); err != nil {
		t.Fatalf("append for a user of a live node: %v", err)
	}
	// The shards of a dead node stay where they are.
	if got := len(c.w.Current().Owned("n1")); got == 0 {
		t.Fatal("the stopped node's shards were reassigned")
	}

	c.start("n1", n1.Dir)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := appendOne(ctx, c.r, down, users[down], "back")
		if err == nil {
			break
		}
		if !errors.Is(metadatapb.FromStatus(err), base.ErrUnavailable) && !errors.Is(metadatapb.FromStatus(err), base.ErrNotOwner) {
			t.Fatalf("append after the node came back: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("user of the returned node still failing: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sel, err := c.r.Select(ctx, &metadatapb.SelectRequest{User: down, MailboxId: users[down]})
	if err != nil || len(sel.Uids) != 1 {
		t.Fatalf("after return: %v, %v; want exactly the one acknowledged message", sel.GetUids(), err)
	}
}

// TestUnreachableNode: a registered node that does not answer (its server
// is gone but its lease lives) makes its users fail with ErrUnavailable
// promptly rather than hang.
func TestUnreachableNode(t *testing.T) {
	c := newCluster(t, 2)
	users := c.createUsers("x", 6)
	u := c.userOn(users, "n0")
	c.nodes["n0"].Server.Stop()
	ctx := ctxT(t)
	_, err := c.r.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: u, Name: "INBOX"})
	if !errors.Is(metadatapb.FromStatus(err), base.ErrUnavailable) || ctx.Err() != nil {
		t.Fatalf("GetMailbox at an unreachable node: %v", err)
	}
}

// TestDrainMovesWatch drains a node: its shards move away, a Watch stream
// of one of its users ends with NOT_OWNER, and a new Watch through the
// router follows the user to the new owner and sees its changes.
func TestDrainMovesWatch(t *testing.T) {
	c := newCluster(t, 2)
	users := c.createUsers("w", 8)
	u := c.userOn(users, "n0")
	ctx := ctxT(t)
	st, err := c.r.Watch(ctx, &metadatapb.WatchRequest{User: u})
	if err != nil {
		t.Fatal(err)
	}
	awaitEvent(t, st, users[u], func(i int) error {
		_, err := appendOne(ctx, c.r, u, users[u], fmt.Sprintf("before %d", i))
		return err
	})
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.nodes["n0"].Member.Leave(lctx); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := st.Recv()
		if err == nil {
			continue // events of the last moments before the fence
		}
		if !errors.Is(metadatapb.FromStatus(err), base.ErrNotOwner) {
			t.Fatalf("watch stream of a moved user ended with %v, want ErrNotOwner", err)
		}
		break
	}
	err = c.w.WaitFor(ctx, func(m *cluster.ShardMap) bool { o, _, _ := m.OwnerOf(u); return o.ID == "n1" })
	if err != nil {
		t.Fatalf("after the drain %s is not on n1: %v", u, err)
	}
	st, err = c.r.Watch(ctx, &metadatapb.WatchRequest{User: u})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := c.r.Select(ctx, &metadatapb.SelectRequest{User: u, MailboxId: users[u]})
	if err != nil {
		t.Fatal(err)
	}
	uid, err := appendOne(ctx, c.r, u, users[u], "after")
	if err != nil || uid != sel.Mailbox.UidNext {
		t.Fatalf("append after the drain: uid %d, %v; want UIDNEXT %d from before the move", uid, err, sel.Mailbox.UidNext)
	}
	awaitEvent(t, st, users[u], func(i int) error {
		_, err := appendOne(ctx, c.r, u, users[u], fmt.Sprintf("after %d", i))
		return err
	})
	if err := cluster.SetDrain(ctx, c.cli, "", "n0", false); err != nil {
		t.Fatal(err)
	}
	c.waitBalanced(2)
}

// awaitEvent waits for an event of mailbox on st, calling change every
// 200 ms meanwhile: a stream may subscribe on its node after the first
// changes, which it then does not see.
func awaitEvent(t *testing.T, st grpc.ServerStreamingClient[metadatapb.ChangeEvent], mailbox uint64, change func(i int) error) {
	t.Helper()
	events := make(chan error, 1)
	go func() {
		ev, err := st.Recv()
		if err == nil && ev.MailboxId != mailbox {
			err = fmt.Errorf("event for mailbox %d, want %d", ev.MailboxId, mailbox)
		}
		events <- err
	}()
	for i := 0; ; i++ {
		if err := change(i); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-events:
			if err != nil {
				t.Fatalf("watch: %v", err)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
