package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/cluster/clustertest"
	"github.com/postbus/postbus/proto/metadatapb"
)

const testShards = 16

func waitMap(t *testing.T, w *cluster.MapWatcher, what string, cond func(*cluster.ShardMap) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WaitFor(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func loads(m *cluster.ShardMap) map[string]int {
	l := map[string]int{}
	for _, id := range m.NodeIDs() {
		l[id] = len(m.Owned(id))
	}
	return l
}

func client(t *testing.T, addr string) metadatapb.MetadataClient {
	return metadatapb.NewMetadataClient(conn(t, addr))
}

func adminClient(t *testing.T, addr string) metadatapb.AdminClient {
	return metadatapb.NewAdminClient(conn(t, addr))
}

func conn(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// TestCreateAssignsEvenly starts three nodes without controllers, then one
// controller: it assigns every shard at once, evenly, and the nodes serve
// exactly their shards. A direct request to a non-owner is refused with
// NOT_OWNER; ListUsers on a node lists only its shards' users.
func TestCreateAssignsEvenly(t *testing.T) {
	_, cli := clustertest.Etcd(t)
	var nodes []*clustertest.Node
	for i := 0; i < 3; i++ {
		nodes = append(nodes, clustertest.StartNode(t, cli, clustertest.Config{
			ID: fmt.Sprintf("n%d", i), Shards: testShards, Member: cluster.MemberOptions{NoController: true},
		}))
	}
	w := nodes[0].Member.Map()
	if w.Current().Complete() {
		t.Fatal("map complete before any controller ran")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		cluster.RunController(ctx, cli, w, cluster.ControllerOptions{ID: "ctl"})
	}()
	defer func() { cancel(); <-done }()
	waitMap(t, w, "complete map", (*cluster.ShardMap).Complete)
	m := w.Current()
	for id, n := range loads(m) {
		if n < testShards/3 || n > testShards/3+1 {
			t.Errorf("node %s owns %d shards: %v", id, n, loads(m))
		}
	}
	for _, e := range m.Entries {
		if e.Epoch != 1 {
			t.Errorf("fresh entry %+v: epoch not 1", e)
		}
	}
	rm, err := cluster.ReadMap(context.Background(), cli, "")
	if err != nil || rm.Revision < m.Revision || !rm.Complete() || len(rm.Nodes) != 3 {
		t.Fatalf("ReadMap = %+v, %v; want the complete map of 3 nodes", rm, err)
	}
	for s := uint32(0); s < testShards; s++ {
		a, _ := rm.Entry(s)
		b, _ := m.Entry(s)
		if a != b {
			t.Errorf("shard %d: ReadMap %+v, watcher %+v", s, a, b)
		}
	}
	// Every node serves exactly the shards the map gives it, once it has
	// seen the map.
	for _, n := range nodes {
		waitMap(t, n.Member.Map(), "node map", (*cluster.ShardMap).Complete)
		waitServing(t, n, m)
	}

	users := map[string]*clustertest.Node{}
	for i := 0; len(users) < 6; i++ {
		u := fmt.Sprintf("user%d", i)
		owner, _, ok := m.OwnerOf(u)
		if !ok {
			t.Fatalf("no owner for %s", u)
		}
		for _, n := range nodes {
			if n.ID == owner.ID {
				users[u] = n
			}
		}
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	for u, owner := range users {
		if _, err := client(t, owner.Addr).CreateUser(ctx2, &metadatapb.CreateUserRequest{User: u, Password: "pw"}); err != nil {
			t.Fatalf("create %s at its owner: %v", u, err)
		}
		for _, n := range nodes {
			if n == owner {
				continue
			}
			_, err := client(t, n.Addr).GetMailbox(ctx2, &metadatapb.GetMailboxRequest{User: u, Name: "INBOX"})
			if !errors.Is(metadatapb.FromStatus(err), base.ErrNotOwner) {
				t.Errorf("GetMailbox of %s at non-owner %s: %v, want ErrNotOwner", u, n.ID, err)
			}
			_, err = client(t, n.Addr).CreateUser(ctx2, &metadatapb.CreateUserRequest{User: u, Password: "pw"})
			if !errors.Is(metadatapb.FromStatus(err), base.ErrNotOwner) {
				t.Errorf("CreateUser of %s at non-owner %s: %v, want ErrNotOwner", u, n.ID, err)
			}
			// Admin RPCs about a user pass the same gate.
			_, err = adminClient(t, n.Addr).Logout(ctx2, &metadatapb.LogoutRequest{User: u})
			if !errors.Is(metadatapb.FromStatus(err), base.ErrNotOwner) {
				t.Errorf("Admin.Logout of %s at non-owner %s: %v, want ErrNotOwner", u, n.ID, err)
			}
			if has, _ := n.Node.ShardHasData(m.ShardOf(u)); has {
				t.Errorf("non-owner %s has data of %s's shard", n.ID, u)
			}
		}
	}
	// A rename at the owner into a name whose shard another node serves
	// is refused: the gate holds both shards. Nothing is renamed.
	for u, owner := range users {
		target := ""
		for i := 0; target == ""; i++ {
			name := fmt.Sprintf("renamed%d", i)
			if o, _, ok := m.OwnerOf(name); ok && o.ID != owner.ID {
				target = name
			}
		}
		_, err := adminClient(t, owner.Addr).RenameUser(ctx2, &metadatapb.RenameUserRequest{User: u, NewName: target})
		if !errors.Is(metadatapb.FromStatus(err), base.ErrNotOwner) {
			t.Errorf("RenameUser %s → %s at %s: %v, want ErrNotOwner", u, target, owner.ID, err)
		}
		if _, err := client(t, owner.Addr).GetMailbox(ctx2, &metadatapb.GetMailboxRequest{User: u, Name: "INBOX"}); err != nil {
			t.Errorf("%s after a refused rename: %v", u, err)
		}
		break
	}
	total := 0
	for _, n := range nodes {
		resp, err := client(t, n.Addr).ListUsers(ctx2, &metadatapb.ListUsersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range resp.Users {
			if users[u] != n {
				t.Errorf("node %s lists %s, owned by another node", n.ID, u)
			}
		}
		total += len(resp.Users)
	}
	if total != len(users) {
		t.Errorf("nodes list %d users in all, want %d", total, len(users))
	}
}

func waitServing(t *testing.T, n *clustertest.Node, m *cluster.ShardMap) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s := uint32(0); s < m.Shards; s++ {
		e, _ := m.Entry(s)
		want := e.Owner == n.ID
		for n.Member.Serving(s) != want {
			if time.Now().After(deadline) {
				t.Fatalf("node %s serving shard %d = %v, want %v", n.ID, s, !want, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestShardCountIsFixed: the first node fixes the shard count; a node
// whose store has another count cannot join.
func TestShardCountIsFixed(t *testing.T) {
	_, cli := clustertest.Etcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := cluster.EnsureShards(ctx, cli, "", 8)
	if err != nil || got != 8 {
		t.Fatalf("EnsureShards = %d, %v", got, err)
	}
	if got, err := cluster.EnsureShards(ctx, cli, "", 32); err != nil || got != 8 {
		t.Fatalf("second EnsureShards = %d, %v; want the first count", got, err)
	}
	if got, err := cluster.EnsureShards(ctx, cli, "", 0); err != nil || got != 8 {
		t.Fatalf("read EnsureShards = %d, %v", got, err)
	}
	if _, err := cluster.EnsureShards(ctx, cli, "/other/", 0); !errors.Is(err, cluster.ErrBadConfig) {
		t.Fatalf("EnsureShards of a missing cluster: %v", err)
	}
	md, err := metadata.Open(metadata.Options{Dir: filepath.Join(t.TempDir(), "n"), Shards: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer md.Close()
	if _, err := cluster.Join(ctx, cli, md, cluster.MemberOptions{ID: "n", Addr: "127.0.0.1:1"}); !errors.Is(err, cluster.ErrWrongShards) {
		t.Fatalf("Join with 32 shards into an 8-shard cluster: %v", err)
	}
	if _, err := cluster.Join(ctx, cli, md, cluster.MemberOptions{ID: "bad/id", Addr: "127.0.0.1:1"}); !errors.Is(err, cluster.ErrBadConfig) {
		t.Fatalf("Join with a bad id: %v", err)
	}
}

// TestWrongClusterRefused: a store that belongs to one cluster does not
// join another (where the map would make it drop its data), and a store
// with data but no recorded cluster joins only a cluster that has not
// assigned shards yet.
func TestWrongClusterRefused(t *testing.T) {
	_, cli := clustertest.Etcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Cluster /p2/ exists and has assigned its shards to node z.
	z := clustertest.StartNode(t, cli, clustertest.Config{ID: "z", Shards: 4, Prefix: "/p2/"})
	if err := z.Member.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	// Node a lives in cluster /p1/ and has a user.
	a := clustertest.StartNode(t, cli, clustertest.Config{ID: "a", Shards: 4, Prefix: "/p1/"})
	if err := a.Member.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := client(t, a.Addr).CreateUser(ctx, &metadatapb.CreateUserRequest{User: "keep", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	dir := a.Dir
	a.Stop()

	md, err := metadata.Open(metadata.Options{Dir: dir, Shards: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer md.Close()
	opts := cluster.MemberOptions{ID: "a", Addr: "127.0.0.1:1", Prefix: "/p2/", IdentityFile: dir + ".cluster-id", NoController: true}
	if _, err := cluster.Join(ctx, cli, md, opts); !errors.Is(err, cluster.ErrWrongCluster) {
		t.Fatalf("join another cluster: %v, want ErrWrongCluster", err)
	}
	opts.IdentityFile = filepath.Join(t.TempDir(), "none")
	if _, err := cluster.Join(ctx, cli, md, opts); !errors.Is(err, cluster.ErrWrongCluster) {
		t.Fatalf("join with data and no identity: %v, want ErrWrongCluster", err)
	}
	if has, _ := md.ShardHasData(base.ShardOf("keep", 4)); !has {
		t.Fatal("refused join dropped data")
	}
	// A brand-new cluster adopts the store (e.g. a serve data directory).
	opts.Prefix, opts.IdentityFile = "/p3/", filepath.Join(t.TempDir(), "adopt")
	m, err := cluster.Join(ctx, cli, md, opts)
	if err != nil {
		t.Fatalf("join a fresh cluster with data: %v", err)
	}
	m.Close()
}
