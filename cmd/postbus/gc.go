package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/frontend/router"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/gc"
	"github.com/postbus/postbus/proto/metadatapb"
)

// gcFlags are the flags of the periodic blob collector (serve, metadata).
type gcFlags struct {
	interval, grace time.Duration
}

func (g *gcFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&g.interval, "gc-interval", 6*time.Hour, "how often the blob garbage collector runs (0: never; in a cluster only the elected metadata node runs it)")
	fs.DurationVar(&g.grace, "gc-grace", gc.DefaultGrace, "unreferenced message bodies younger than this are kept")
}

// runGC implements `postbus gc`: one collector pass, now.
func runGC(args []string) error {
	fs := flag.NewFlagSet("gc", flag.ContinueOnError)
	var sf serveFlags
	sf.registerData(fs, "data directory of the node (blobs in DATA/blobs unless --s3-endpoint)")
	sf.registerS3(fs)
	var cf clusterFlags
	cf.register(fs)
	dry := fs.Bool("dry-run", false, "report what would be deleted and delete nothing")
	grace := fs.Duration("grace", gc.DefaultGrace, "keep unreferenced bodies younger than this")
	verbose := fs.Bool("v", false, "log every deleted blob")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("gc takes no arguments, got %q", pos)}
	}
	if cf.etcd != "" && sf.s3Endpoint == "" {
		return usageError{"gc --etcd needs the --s3-* flags of the cluster's bucket"}
	}
	if *grace <= 0 {
		return usageError{"--grace must be positive"}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t, err := openAdminTarget(ctx, sf.data, &cf)
	if err != nil {
		return err
	}
	defer t.Close()
	blobs, blobsAt, err := openBlobs(ctx, &sf)
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	opts := gc.Options{Blobs: blobs, Grace: *grace, DryRun: *dry,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))}
	if t.cli != nil {
		m0, err := readShardMap(ctx, t.cli, t.prefix)
		if err != nil {
			return err
		}
		if opts.Sources, err = clusterSources(m0, t.nodeAdmin); err != nil {
			return err
		}
		opts.Stable = shardMapStable(t.cli, t.prefix, m0)
	} else if opts.Sources, err = t.gcSources(); err != nil {
		return err
	}
	rep, err := gc.Run(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Printf("gc %s: %s\n", blobsAt, rep)
	if rep.Blobs == 0 && rep.Missing > 0 {
		fmt.Fprintf(os.Stderr, "postbus: messages reference %d bodies and %s holds none: does the server keep bodies in S3? Give it the same --s3-* flags\n", rep.Missing, blobsAt)
	}
	return nil
}

// startServeGC runs the periodic collector of `postbus serve` over the
// node's in-process connection until ctx is done.
func startServeGC(ctx context.Context, g gcFlags, blobs blobstore.Store, cc *grpc.ClientConn, logger *slog.Logger) {
	if g.interval <= 0 {
		return
	}
	log := logger.With("role", "gc")
	src := []gc.Source{{Name: "local", Client: metadatapb.NewAdminClient(cc)}}
	go gc.Loop(ctx, g.interval, log, func(ctx context.Context) (gc.Report, error) {
		return gc.Run(ctx, gc.Options{Blobs: blobs, Sources: src, Grace: g.grace, Logger: log})
	})
}

// startClusterGC makes this metadata node a candidate for the collector
// election; the elected node runs a pass every interval over every node
// of the map. Without a shared bucket there is nothing to collect here:
// bodies then live in each frontend's own directory.
func startClusterGC(ctx context.Context, g gcFlags, cli *clientv3.Client, prefix, id string, f *serveFlags, blobs blobstore.Store, logger *slog.Logger) {
	log := logger.With("role", "gc")
	if g.interval <= 0 {
		return
	}
	if f.s3Endpoint == "" {
		log.Info("blob garbage collection off: no --s3-endpoint")
		return
	}
	go gc.Elected(ctx, cli, prefix, id, log, func(ctx context.Context) {
		conns := map[string]*grpc.ClientConn{}
		defer func() {
			for _, cc := range conns {
				cc.Close()
			}
		}()
		dial := func(addr string) (metadatapb.AdminClient, error) {
			cc := conns[addr]
			if cc == nil {
				var err error
				if cc, err = grpc.NewClient(addr, router.DialOptions()...); err != nil {
					return nil, err
				}
				conns[addr] = cc
			}
			return metadatapb.NewAdminClient(cc), nil
		}
		gc.Loop(ctx, g.interval, log, func(ctx context.Context) (gc.Report, error) {
			m0, err := readShardMap(ctx, cli, prefix)
			if err != nil {
				return gc.Report{}, err
			}
			src, err := clusterSources(m0, dial)
			if err != nil {
				return gc.Report{}, fmt.Errorf("%w: %v", gc.ErrUnstable, err)
			}
			return gc.Run(ctx, gc.Options{Blobs: blobs, Sources: src, Grace: g.grace, Logger: log,
				Stable: shardMapStable(cli, prefix, m0)})
		})
	})
}

// readShardMap reads the shard count, live nodes and shard entries of the
// cluster in one linearizable etcd read (not through a watcher, which may
// lag: the collector must know the map as of now).
func readShardMap(ctx context.Context, cli *clientv3.Client, prefix string) (*cluster.ShardMap, error) {
	resp, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	m := &cluster.ShardMap{Revision: resp.Header.Revision, Nodes: map[string]cluster.NodeInfo{}}
	entries := map[uint32]*cluster.ShardEntry{}
	for _, kv := range resp.Kvs {
		k := strings.TrimPrefix(string(kv.Key), prefix)
		switch {
		case k == "config/shards":
			n, err := strconv.ParseUint(string(kv.Value), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("etcd: bad shard count %q", kv.Value)
			}
			m.Shards = uint32(n)
		case strings.HasPrefix(k, "nodes/"):
			var n cluster.NodeInfo
			if err := json.Unmarshal(kv.Value, &n); err != nil {
				return nil, fmt.Errorf("etcd: node %s: %w", k, err)
			}
			m.Nodes[strings.TrimPrefix(k, "nodes/")] = n
		case strings.HasPrefix(k, "shards/"):
			s, err := strconv.ParseUint(strings.TrimPrefix(k, "shards/"), 10, 32)
			if err != nil {
				continue
			}
			var e cluster.ShardEntry
			if err := json.Unmarshal(kv.Value, &e); err != nil {
				return nil, fmt.Errorf("etcd: shard %s: %w", k, err)
			}
			entries[uint32(s)] = &e
		}
	}
	if m.Shards == 0 {
		return nil, fmt.Errorf("no cluster under %q in etcd", prefix)
	}
	m.Entries = make([]*cluster.ShardEntry, m.Shards)
	for s, e := range entries {
		if s < m.Shards {
			m.Entries[s] = e
		}
	}
	return m, nil
}

// shardMapStable is the collector's veto (gc.Options.Stable): every shard
// entry must be exactly what it was when the sources were chosen. A shard
// whose owner changed (epoch), or that started or ended a handoff, may have
// been in neither node's snapshot, so the pass must not delete.
func shardMapStable(cli *clientv3.Client, prefix string, m0 *cluster.ShardMap) func(context.Context) error {
	return func(ctx context.Context) error {
		m1, err := readShardMap(ctx, cli, prefix)
		if err != nil {
			return err
		}
		for s := uint32(0); s < m0.Shards; s++ {
			a, aok := m0.Entry(s)
			b, bok := m1.Entry(s)
			if aok != bok || a != b {
				return fmt.Errorf("shard %d changed from %+v to %+v", s, a, b)
			}
		}
		return nil
	}
}
