package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/cluster/embedded"
)

// serveNodeID and serveNodeAddr name serve's one metadata node in its
// embedded cluster; the address means the in-process connection.
const (
	serveNodeID   = "local"
	serveNodeAddr = "inproc"
)

// serveCluster is the one-member cluster of `postbus serve`.
type serveCluster struct {
	etcd   *embedded.Etcd
	cli    *clientv3.Client
	member *cluster.Member
}

// startServeCluster starts the embedded etcd in DATA/etcd, joins node as
// the only member (it is the controller, and assigns every shard to itself
// at once) and waits until the node serves every shard.
func startServeCluster(ctx context.Context, data string, node *metadata.Node, logger *slog.Logger) (*serveCluster, error) {
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	e, err := embedded.Start(sctx, filepath.Join(data, "etcd"))
	if err != nil {
		return nil, err
	}
	sc := &serveCluster{etcd: e}
	if sc.cli, err = e.Client(); err != nil {
		sc.close()
		return nil, fmt.Errorf("embedded etcd: %w", err)
	}
	sc.member, err = cluster.Join(sctx, sc.cli, node, cluster.MemberOptions{
		ID: serveNodeID, Addr: serveNodeAddr, Version: version,
		Logger: logger.With("role", "metadata"),
		// The admin socket check proved no other serve runs on DATA: a
		// record left by a killed predecessor is ours.
		TakeOver: true,
	})
	if err != nil {
		sc.close()
		return nil, err
	}
	if err := sc.member.WaitServing(sctx); err != nil {
		sc.close()
		return nil, fmt.Errorf("waiting for the shard map: %w", err)
	}
	return sc, nil
}

func (sc *serveCluster) close() {
	if sc.member != nil {
		sc.member.Close()
	}
	if sc.cli != nil {
		sc.cli.Close()
	}
	sc.etcd.Close()
}
