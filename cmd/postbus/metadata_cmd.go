package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"

	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/proto/clusterpb"
	"github.com/postbus/postbus/proto/metadatapb"
)

// metadataFlags are the flags of `postbus metadata`.
type metadataFlags struct {
	serveFlags // --data, the S3 flags (bodies for SEARCH BODY), logging
	cluster    clusterFlags
	listen     string
	advertise  string
	nodeID     string
	shards     uint
	maxMoves   int
	assignWait time.Duration
	drainExit  time.Duration
}

func (f *metadataFlags) register(fs *flag.FlagSet) {
	f.registerData(fs, "data directory of the node (metadata store, node id, local blobs)")
	f.registerS3(fs)
	f.registerLog(fs)
	f.httpAddr = registerHTTPAddr(fs)
	f.cluster.register(fs)
	f.gc.register(fs)
	fs.StringVar(&f.listen, "listen", "127.0.0.1:7100", "gRPC listen address (Metadata and Cluster services)")
	fs.StringVar(&f.advertise, "advertise", "", "address frontends and other nodes dial (default: --listen)")
	fs.StringVar(&f.nodeID, "node-id", "", "node id (default: stored in DATA/node-id, or derived from the host name on first start)")
	fs.UintVar(&f.shards, "shards", base.DefaultShards, "number of virtual shards, used only when this node creates the cluster")
	fs.IntVar(&f.maxMoves, "max-moves", 1, "shard handoffs in flight at once, when this node is the controller")
	fs.DurationVar(&f.assignWait, "assign-delay", 2*time.Second, "how long membership must be stable before the controller assigns unassigned shards")
	fs.DurationVar(&f.drainExit, "drain-on-exit", 0, "on SIGTERM, first hand every shard to other nodes, waiting at most this long (0: exit at once; the node's users are unavailable until it returns)")
}

func runMetadata(args []string) error { return runRole[metadataFlags]("metadata", args, metadataNode) }

// metadataNode runs a metadata node of a cluster until ctx is done.
func metadataNode(ctx context.Context, f *metadataFlags, logger *slog.Logger) error {
	if f.shards == 0 || f.shards > cluster.MaxShards {
		return usageError{fmt.Sprintf("bad --shards %d: 1 to %d", f.shards, cluster.MaxShards)}
	}
	advertise := f.advertise
	if advertise == "" {
		advertise = f.listen
	}
	if host, _, err := net.SplitHostPort(advertise); err != nil || host == "" || net.ParseIP(host).IsUnspecified() {
		return usageError{fmt.Sprintf("cannot advertise %q: give --advertise HOST:PORT that others can dial", advertise)}
	}
	id, err := loadNodeID(f.data, f.nodeID)
	if err != nil {
		return err
	}
	logger = logger.With("role", "metadata", "node", id)
	logSIGHUP(ctx, logger) // tlsreload.go
	cli, err := f.cluster.connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	shards, err := cluster.EnsureShards(ctx, cli, f.cluster.prefix, uint32(f.shards))
	if err != nil {
		return err
	}
	blobs, blobsAt, err := openBlobs(ctx, &f.serveFlags)
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	rm := newRoleMetrics() // metrics.go
	blobs = rm.blobs(blobs)
	node, err := metadata.Open(metadata.Options{
		Dir:    filepath.Join(f.data, "metadata"),
		Shards: shards,
		Blobs:  blobs,
		Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	defer node.Close()
	l, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("gRPC listener: %w", err)
	}
	defer l.Close()
	if f.advertise == "" {
		advertise = l.Addr().String() // --listen with port 0
	}
	member, err := cluster.Join(ctx, cli, node, cluster.MemberOptions{
		Prefix: f.cluster.prefix, ID: id, Addr: advertise, Version: version, Logger: logger,
		MaxMoves: f.maxMoves, AssignDelay: f.assignWait,
		IdentityFile: filepath.Join(f.data, "cluster-id"),
	})
	if err != nil {
		return err
	}
	defer member.Close()
	rm.member(ctx, member)
	gs := grpc.NewServer(append(rm.node(node).ServerOptions(), cluster.ServerOptions(member)...)...)
	metadatapb.RegisterMetadataServer(gs, node)
	metadatapb.RegisterAdminServer(gs, node.Admin())
	clusterpb.RegisterClusterServer(gs, member)
	errc := make(chan error, 1)
	go func() { errc <- gs.Serve(l) }()
	startClusterGC(ctx, f.gc, cli, f.cluster.prefix, id, &f.serveFlags, blobs, logger) // gc.go
	hs, err := listenHealthIf(*f.httpAddr, namedCheck("membership", func(context.Context) error {
		if _, ok := member.Map().Current().Nodes[id]; !ok {
			return errors.New("not registered in etcd")
		}
		return nil
	}))
	if err != nil {
		gs.Stop()
		return err
	}
	defer hs.Stop()
	rm.serve(hs)
	extra := ""
	if hs != nil {
		extra = " http=" + hs.Addr()
	}
	fmt.Printf("postbus: metadata ready node=%s grpc=%s advertise=%s shards=%d data=%s blobs=%s%s\n",
		id, l.Addr(), advertise, shards, f.data, blobsAt, extra)
	logger.Info("serving", "grpc", l.Addr().String(), "advertise", advertise, "shards", shards)
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-errc:
		logger.Error("gRPC server failed", "err", err)
	}
	hs.Drain()
	if f.drainExit > 0 && ctx.Err() != nil {
		drainOnExit(member, cli, f, id, logger)
	}
	// Leave the map first so routers stop sending here, then let admitted
	// requests finish.
	member.Close()
	if f.drainExit > 0 {
		// Deregistered: the node gets shards again when it returns.
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := cluster.SetDrain(dctx, cli, f.cluster.prefix, id, false); err != nil {
			logger.Warn("removing the drain mark", "err", err)
		}
		cancel()
	}
	done := make(chan struct{})
	go func() { gs.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		gs.Stop()
	}
	return nil
}

// drainOnExit hands the node's shards to the other nodes before it stops,
// so its users see at most a retried command instead of an outage.
func drainOnExit(member *cluster.Member, cli *clientv3.Client, f *metadataFlags, id string, logger *slog.Logger) {
	logger.Info("draining: handing shards to other nodes", "timeout", f.drainExit)
	dctx, cancel := context.WithTimeout(context.Background(), f.drainExit)
	defer cancel()
	start := time.Now()
	if err := member.Leave(dctx); err != nil {
		logger.Warn("drain incomplete; remaining shards stay unavailable until the node returns", "err", err,
			"owned", len(member.Map().Current().Owned(id)))
		return
	}
	logger.Info("drained", "took", time.Since(start).Round(time.Millisecond))
}

// listenHealthIf starts the health endpoints when addr is set; a nil
// server's methods do nothing.
func listenHealthIf(addr string, checks ...readinessCheck) (*healthServer, error) {
	if addr == "" {
		return nil, nil
	}
	return listenHealth(addr, checks...)
}
