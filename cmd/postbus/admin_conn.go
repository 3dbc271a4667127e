package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/postbus/postbus/frontend/router"
	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/gc"
	"github.com/postbus/postbus/proto/metadatapb"
)

// adminTarget is what the admin commands (kick, mailboxes, user rename,
// status, gc) talk to: one node (a running server's DATA/admin.sock, or
// the store of DATA opened in this process) or a cluster (--etcd: the
// router for Metadata calls, the owner's Admin service for user-level
// Admin calls, every node for the collector).
type adminTarget struct {
	md metadatapb.MetadataClient
	// local: the one node's Admin client; nil in a cluster.
	admin metadatapb.AdminClient
	// running: a server answered on the admin socket.
	running bool
	// cluster only
	cli    *clientv3.Client
	prefix string
	w      *cluster.MapWatcher
	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closer []func()
}

func (t *adminTarget) Close() {
	t.mu.Lock()
	for _, cc := range t.conns {
		cc.Close()
	}
	t.conns = nil
	t.mu.Unlock()
	for i := len(t.closer) - 1; i >= 0; i-- {
		t.closer[i]()
	}
}

// openAdminTarget connects to the cluster of cf when cf.etcd is set, else
// to the node of dataDir.
func openAdminTarget(ctx context.Context, dataDir string, cf *clusterFlags) (*adminTarget, error) {
	if cf != nil && cf.etcd != "" {
		return openClusterTarget(ctx, cf)
	}
	t := &adminTarget{}
	sock := adminSocketPath(dataDir)
	if cc, err := dialAdmin(dataDir); err != nil {
		return nil, err
	} else if cc != nil {
		t.running = true
		t.closer = append(t.closer, func() { cc.Close() })
		t.md, t.admin = metadatapb.NewMetadataClient(cc), metadatapb.NewAdminClient(cc)
		return t, nil
	}
	if _, err := os.Stat(filepath.Join(dataDir, "metadata")); err != nil {
		return nil, fmt.Errorf("no postbus data in %s (and no server answers on %s)", dataDir, sock)
	}
	node, err := metadata.Open(metadata.Options{Dir: filepath.Join(dataDir, "metadata"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("open %s (is a server running without its admin socket?): %w", dataDir, err)
	}
	// The node is served in process over the same gRPC services, so every
	// command has one code path for a running and a stopped server.
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	metadatapb.RegisterMetadataServer(gs, node)
	metadatapb.RegisterAdminServer(gs, node.Admin())
	go gs.Serve(lis)
	cc, err := grpc.NewClient("passthrough:///local", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	if err != nil {
		gs.Stop()
		node.Close()
		return nil, err
	}
	t.closer = append(t.closer, func() { node.Close() }, func() { gs.Stop() }, func() { cc.Close() })
	t.md, t.admin = metadatapb.NewMetadataClient(cc), metadatapb.NewAdminClient(cc)
	return t, nil
}

func openClusterTarget(ctx context.Context, cf *clusterFlags) (*adminTarget, error) {
	cli, err := cf.connect(ctx)
	if err != nil {
		return nil, err
	}
	t := &adminTarget{cli: cli, prefix: cf.prefix, conns: map[string]*grpc.ClientConn{}}
	t.closer = append(t.closer, func() { cli.Close() })
	w, err := cluster.Watch(ctx, cli, cf.prefix)
	if err != nil {
		t.Close()
		return nil, err
	}
	t.w = w
	t.closer = append(t.closer, w.Close)
	if w.Current().Shards == 0 {
		t.Close()
		return nil, fmt.Errorf("no cluster under %q in etcd %s", cf.prefix, cf.etcd)
	}
	rt := router.New(w, router.Options{})
	t.closer = append(t.closer, func() { rt.Close() })
	t.md = rt
	return t, nil
}

// nodeAdmin returns the Admin client of a node address (cluster).
func (t *adminTarget) nodeAdmin(addr string) (metadatapb.AdminClient, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cc := t.conns[addr]
	if cc == nil {
		var err error
		if cc, err = grpc.NewClient(addr, router.DialOptions()...); err != nil {
			return nil, err
		}
		t.conns[addr] = cc
	}
	return metadatapb.NewAdminClient(cc), nil
}

// adminFor returns the Admin client of the node that owns user. In a
// cluster the shard must be active (not being handed off) on a live node:
// Admin calls are not fenced by the ownership gate, so the tool refuses
// rather than race a handoff.
func (t *adminTarget) adminFor(user string) (metadatapb.AdminClient, error) {
	if t.admin != nil {
		return t.admin, nil
	}
	m := t.w.Current()
	s := m.ShardOf(user)
	e, ok := m.Entry(s)
	if !ok {
		return nil, fmt.Errorf("shard %d of user %s is unassigned", s, user)
	}
	if e.State != cluster.StateActive {
		return nil, fmt.Errorf("shard %d of user %s is moving to %s; try again when the handoff is done", s, user, e.Target)
	}
	n, live := m.Nodes[e.Owner]
	if !live {
		return nil, fmt.Errorf("node %s owning shard %d of user %s is down", e.Owner, s, user)
	}
	return t.nodeAdmin(n.Addr)
}

// gcSources returns every node the collector must mark from. In a cluster
// that is every owner and handoff target of the map: all must be live, or
// the references of a down node's shards would be missed.
func (t *adminTarget) gcSources() ([]gc.Source, error) {
	if t.admin != nil {
		return []gc.Source{{Name: "local", Client: t.admin}}, nil
	}
	return clusterSources(t.w.Current(), t.nodeAdmin)
}

// clusterSources lists the nodes of m that hold shards.
func clusterSources(m *cluster.ShardMap, dial func(addr string) (metadatapb.AdminClient, error)) ([]gc.Source, error) {
	need := map[string]bool{}
	for s := uint32(0); s < m.Shards; s++ {
		e, ok := m.Entry(s)
		if !ok {
			return nil, fmt.Errorf("shard %d is unassigned", s)
		}
		need[e.Owner] = true
		if e.State == cluster.StateMoving {
			need[e.Target] = true
		}
	}
	var out []gc.Source
	for id := range need {
		n, live := m.Nodes[id]
		if !live {
			return nil, fmt.Errorf("node %s holds shards but is down: its references cannot be marked", id)
		}
		c, err := dial(n.Addr)
		if err != nil {
			return nil, err
		}
		out = append(out, gc.Source{Name: id, Client: c})
	}
	return out, nil
}

// dialAdmin connects to the server running on dataDir through its admin
// socket, or returns a nil connection when no server answers there. The
// socket is dialled by absolute path: "unix://" + a relative path would make
// gRPC read its first element as a URL authority.
func dialAdmin(dataDir string) (*grpc.ClientConn, error) {
	sock, err := filepath.Abs(adminSocketPath(dataDir))
	if err != nil {
		return nil, err
	}
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return nil, nil // no server: the caller opens the store itself
	}
	c.Close()
	return grpc.NewClient("unix://"+sock, append(metadatapb.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
}
