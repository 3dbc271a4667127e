package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/postbus/postbus/frontend/router"
	"github.com/postbus/postbus/metadata/cluster"
)

// clusterFlags name the etcd of a cluster; every cluster role has them.
type clusterFlags struct {
	etcd   string
	prefix string
}

func (c *clusterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.etcd, "etcd", "", "etcd endpoints of the cluster, comma-separated (http://host:port)")
	fs.StringVar(&c.prefix, "etcd-prefix", cluster.DefaultPrefix, "etcd key prefix of the cluster")
}

// connect returns an etcd client after checking that etcd answers.
func (c *clusterFlags) connect(ctx context.Context) (*clientv3.Client, error) {
	if c.etcd == "" {
		return nil, usageError{"--etcd is required"}
	}
	var eps []string
	for _, e := range strings.Split(c.etcd, ",") {
		if e = strings.TrimSpace(e); e != "" {
			eps = append(eps, e)
		}
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", c.etcd, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Get(cctx, c.prefix+"config/shards"); err != nil {
		cli.Close()
		return nil, fmt.Errorf("etcd %s does not answer: %w", c.etcd, err)
	}
	return cli, nil
}

// nodeIDFile keeps a metadata node's id in its data directory, so a
// restarted node is the same node (the shard map names it).
const nodeIDFile = "node-id"

var unsafeIDChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// loadNodeID returns the node id of a data directory: flagID if given
// (and then it must match a stored one), else the stored one, else a new
// one derived from the host name, which is stored.
func loadNodeID(dataDir, flagID string) (string, error) {
	path := filepath.Join(dataDir, nodeIDFile)
	b, err := os.ReadFile(path)
	stored := strings.TrimSpace(string(b))
	switch {
	case err == nil && flagID != "" && stored != flagID:
		return "", usageError{fmt.Sprintf("--node-id %q, but %s is the store of node %q", flagID, dataDir, stored)}
	case err == nil:
		if !cluster.ValidNodeID(stored) {
			return "", fmt.Errorf("%s: bad node id %q", path, stored)
		}
		return stored, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", err
	}
	id := flagID
	if id == "" {
		host, _ := os.Hostname()
		host = strings.Trim(unsafeIDChars.ReplaceAllString(host, "-"), "-")
		if len(host) > 40 {
			host = host[:40]
		}
		var r [3]byte
		rand.Read(r[:])
		id = strings.TrimPrefix(host+"-"+hex.EncodeToString(r[:]), "-")
	}
	if !cluster.ValidNodeID(id) {
		return "", usageError{fmt.Sprintf("bad --node-id %q: 1 to 64 of A-Z a-z 0-9 . _ -", id)}
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	return id, nil
}

// clusterAdminClient returns a Metadata client for a whole cluster: a
// router over its shard map (`postbus user ... --etcd`).
func clusterAdminClient(ctx context.Context, cf *clusterFlags) (userAdmin, func(), error) {
	cli, err := cf.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	w, err := cluster.Watch(ctx, cli, cf.prefix)
	if err != nil {
		cli.Close()
		return nil, nil, err
	}
	if w.Current().Shards == 0 {
		w.Close()
		cli.Close()
		return nil, nil, fmt.Errorf("no cluster under %q in etcd %s", cf.prefix, cf.etcd)
	}
	rt := router.New(w, router.Options{})
	return rt, func() {
		rt.Close()
		w.Close()
		cli.Close()
	}, nil
}
