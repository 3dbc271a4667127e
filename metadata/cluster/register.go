package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// registration keeps nodes/<id> in etcd under a lease while the node runs,
// and puts it back if the lease is lost (etcd unreachable for longer than
// the TTL) and etcd comes back.
type registration struct {
	cli  *clientv3.Client
	key  string
	val  string
	ttl  int64
	log  *slog.Logger
	done chan struct{}
	stop context.CancelFunc

	mu struct {
		sync.Mutex
		lease clientv3.LeaseID
	}
}

// register puts the node record under a fresh lease. If the key exists
// (another process with this id, or this node's previous incarnation whose
// lease has not expired yet), it waits for it to go away, until ctx ends:
// two processes never serve as the same node.
func register(ctx context.Context, cli *clientv3.Client, k keys, info NodeInfo, ttl int64, log *slog.Logger) (*registration, error) {
	r := &registration{cli: cli, key: k.node(info.ID), val: mustJSON(info), ttl: ttl, log: log, done: make(chan struct{})}
	rctx, cancel := context.WithCancel(context.Background())
	ka, err := r.acquire(ctx, rctx)
	if err != nil {
		cancel()
		return nil, err
	}
	r.stop = cancel
	go r.keep(rctx, ka)
	return r, nil
}

// acquire registers; ctx bounds the attempt, kactx the keepalive.
func (r *registration) acquire(ctx, kactx context.Context) (<-chan *clientv3.LeaseKeepAliveResponse, error) {
	warned := false
	for {
		lease, err := r.cli.Grant(ctx, r.ttl)
		if err != nil {
			return nil, fmt.Errorf("cluster: lease: %w", err)
		}
		resp, err := r.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(r.key), "=", 0)).
			Then(clientv3.OpPut(r.key, r.val, clientv3.WithLease(lease.ID))).
			Commit()
		if err != nil {
			r.cli.Revoke(context.Background(), lease.ID)
			return nil, fmt.Errorf("cluster: register %s: %w", r.key, err)
		}
		if resp.Succeeded {
			ka, err := r.cli.KeepAlive(kactx, lease.ID)
			if err != nil {
				r.cli.Revoke(context.Background(), lease.ID)
				return nil, fmt.Errorf("cluster: keepalive: %w", err)
			}
			r.mu.Lock()
			r.mu.lease = lease.ID
			r.mu.Unlock()
			return ka, nil
		}
		r.cli.Revoke(ctx, lease.ID)
		if !warned {
			r.log.Warn("cluster: node id registered by another process or a previous run; waiting for its lease to expire", "key", r.key)
			warned = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cluster: register %s: %w", r.key, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// keep drains keepalive responses; when the channel closes (lease lost) it
// registers again.
func (r *registration) keep(ctx context.Context, ka <-chan *clientv3.LeaseKeepAliveResponse) {
	defer close(r.done)
	for {
		// Wait on ctx as well: after a re-registration the etcd client does
		// not always close the keepalive channel when ctx ends, and close
		// would wait here forever.
	drain:
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ka:
				if !ok {
					break drain
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("cluster: node lease lost; registering again", "key", r.key)
		for ctx.Err() == nil {
			var err error
			ka, err = r.acquire(ctx, ctx)
			if err == nil {
				break
			}
			sleepCtx(ctx, time.Second)
		}
	}
}

// close revokes the lease, so the node disappears from the map at once.
func (r *registration) close() {
	r.stop()
	<-r.done
	r.mu.Lock()
	lease := r.mu.lease
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := r.cli.Revoke(ctx, lease); err != nil {
		r.log.Warn("cluster: revoke lease", "err", err)
	}
}
