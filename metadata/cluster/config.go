package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// EnsureShards returns the cluster's shard count, creating the cluster with
// want shards if it has none yet (one transaction: "create if absent", so
// concurrent first starts agree). want == 0 only reads: a missing count is
// then ErrBadConfig. A cluster's count never changes: it is part of every
// node's on-disk key layout.
func EnsureShards(ctx context.Context, cli *clientv3.Client, prefix string, want uint32) (uint32, error) {
	if want > MaxShards {
		return 0, fmt.Errorf("%w: %d shards, at most %d", ErrBadConfig, want, MaxShards)
	}
	k := newKeys(prefix).config()
	if want == 0 {
		resp, err := cli.Get(ctx, k)
		if err != nil {
			return 0, fmt.Errorf("cluster: read %s: %w", k, err)
		}
		if len(resp.Kvs) == 0 {
			return 0, fmt.Errorf("%w: no cluster under %q (no %s)", ErrBadConfig, prefix, k)
		}
		return parseShards(resp.Kvs[0].Value)
	}
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, strconv.FormatUint(uint64(want), 10)), clientv3.OpPut(newKeys(prefix).id(), newClusterID())).
		Else(clientv3.OpGet(k)).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("cluster: create %s: %w", k, err)
	}
	if resp.Succeeded {
		return want, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return 0, fmt.Errorf("%w: %s vanished", ErrBadConfig, k)
	}
	return parseShards(kvs[0].Value)
}

func parseShards(b []byte) (uint32, error) {
	v, err := strconv.ParseUint(string(b), 10, 32)
	if err != nil || v == 0 || v > MaxShards {
		return 0, fmt.Errorf("%w: shard count %q", ErrBadConfig, b)
	}
	return uint32(v), nil
}

// ClusterID returns the cluster's identity, a random string written with
// the shard count when the cluster is created. Stores remember it
// (MemberOptions.IdentityFile) so that a node never joins, and drops data
// for, a cluster its store does not belong to.
func ClusterID(ctx context.Context, cli *clientv3.Client, prefix string) (string, error) {
	k := newKeys(prefix).id()
	resp, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, newClusterID())).
		Commit()
	if err != nil {
		return "", fmt.Errorf("cluster: create %s: %w", k, err)
	}
	_ = resp
	get, err := cli.Get(ctx, k)
	if err != nil {
		return "", fmt.Errorf("cluster: read %s: %w", k, err)
	}
	if len(get.Kvs) == 0 {
		return "", fmt.Errorf("%w: %s vanished", ErrBadConfig, k)
	}
	return string(get.Kvs[0].Value), nil
}

func newClusterID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
