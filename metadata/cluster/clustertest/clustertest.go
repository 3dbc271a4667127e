// Package clustertest starts whole metadata clusters inside a test: an
// embedded etcd and metadata nodes serving gRPC on 127.0.0.1, each a real
// cluster.Member. Other packages' tests (frontend router, cmd) use it.
package clustertest

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/cluster/embedded"
	"github.com/postbus/postbus/proto/clusterpb"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Etcd starts an embedded etcd in a temporary directory and returns a
// client; both are closed when the test ends.
func Etcd(t testing.TB) (*embedded.Etcd, *clientv3.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	e, err := embedded.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cli, err := e.Client()
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cli.Close()
		e.Close()
	})
	return e, cli
}

// Node is one metadata node of a test cluster.
type Node struct {
	ID     string
	Dir    string
	Addr   string
	Node   *metadata.Node
	Member *cluster.Member
	Server *grpc.Server
}

// Config describes a node to start.
type Config struct {
	ID     string
	Dir    string // Pebble directory; reuse it to restart a node
	Shards uint32
	Prefix string
	// Member tunes the membership; ID, Addr and Prefix are filled in.
	Member cluster.MemberOptions
}

// StartNode opens a node's store, joins the cluster and serves gRPC on a
// fresh 127.0.0.1 port. The node is stopped when the test ends unless it
// was stopped before.
func StartNode(t testing.TB, cli *clientv3.Client, cfg Config) *Node {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), cfg.ID)
	}
	md, err := metadata.Open(metadata.Options{Dir: cfg.Dir, Shards: cfg.Shards})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		md.Close()
		t.Fatal(err)
	}
	opts := cfg.Member
	opts.ID, opts.Addr, opts.Prefix = cfg.ID, l.Addr().String(), cfg.Prefix
	if opts.IdentityFile == "" {
		opts.IdentityFile = cfg.Dir + ".cluster-id"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := cluster.Join(ctx, cli, md, opts)
	if err != nil {
		l.Close()
		md.Close()
		t.Fatal(err)
	}
	gs := grpc.NewServer(cluster.ServerOptions(m)...)
	metadatapb.RegisterMetadataServer(gs, md)
	metadatapb.RegisterAdminServer(gs, md.Admin())
	clusterpb.RegisterClusterServer(gs, m)
	go gs.Serve(l)
	n := &Node{ID: cfg.ID, Dir: cfg.Dir, Addr: opts.Addr, Node: md, Member: m, Server: gs}
	t.Cleanup(n.Stop)
	return n
}

// Stop leaves the cluster and shuts the node down, as a process exit would
// (the lease is revoked; the shards stay assigned to the node). It is
// idempotent.
func (n *Node) Stop() {
	if n.Member == nil {
		return
	}
	n.Member.Close()
	n.Server.Stop()
	n.Node.Close()
	n.Member = nil
}
