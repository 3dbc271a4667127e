package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// MapWatcher keeps an up-to-date ShardMap of a cluster by watching its etcd
// prefix. Readers get immutable snapshots (Current) and a channel closed at
// the next change (Changed); they never block the watcher.
type MapWatcher struct {
	cli    *clientv3.Client
	keys   keys
	log    *slog.Logger
	cur    atomic.Pointer[ShardMap]
	cancel context.CancelFunc
	done   chan struct{}

	mu struct {
		sync.Mutex
		changed chan struct{}
	}
}

// Watch loads the cluster under prefix and keeps following it until ctx is
// done or Close is called. The cluster need not exist yet: until its shard
// count is written the map has Shards == 0 and routes nothing.
func Watch(ctx context.Context, cli *clientv3.Client, prefix string) (*MapWatcher, error) {
	return watchWithLogger(ctx, cli, prefix, nil)
}

func watchWithLogger(ctx context.Context, cli *clientv3.Client, prefix string, log *slog.Logger) (*MapWatcher, error) {
	if log == nil {
		log = slog.Default()
	}
	w := &MapWatcher{cli: cli, keys: newKeys(prefix), log: log, done: make(chan struct{})}
	w.mu.changed = make(chan struct{})
	m, err := w.load(ctx)
	if err != nil {
		return nil, err
	}
	w.cur.Store(m)
	wctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	stop := context.AfterFunc(ctx, cancel)
	go func() {
		defer close(w.done)
		defer stop()
		w.run(wctx)
	}()
	return w, nil
}

// ReadMap reads the cluster's map once, in one linearizable etcd read: the
// map as of now, for callers that must not act on a lagging watcher (the
// blob collector's stability check). A missing cluster has Shards == 0.
func ReadMap(ctx context.Context, cli *clientv3.Client, prefix string) (*ShardMap, error) {
	w := &MapWatcher{cli: cli, keys: newKeys(prefix), log: slog.Default()}
	return w.load(ctx)
}

// Current returns the newest map. Never nil.
func (w *MapWatcher) Current() *ShardMap { return w.cur.Load() }

// Changed returns a channel that is closed when the map next changes.
func (w *MapWatcher) Changed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mu.changed
}

// OwnerOf returns the live owner of user's shard in the current map.
func (w *MapWatcher) OwnerOf(user string) (NodeInfo, uint64, bool) {
	return w.Current().OwnerOf(user)
}

// WaitRevision waits until the map reflects etcd revision rev.
func (w *MapWatcher) WaitRevision(ctx context.Context, rev int64) error {
	return w.WaitFor(ctx, func(m *ShardMap) bool { return m.Revision >= rev })
}

// WaitFor waits until cond holds for the current map.
func (w *MapWatcher) WaitFor(ctx context.Context, cond func(*ShardMap) bool) error {
	for {
		ch := w.Changed()
		if cond(w.Current()) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-w.done:
			return fmt.Errorf("cluster: map watcher closed: %w", ErrNoOwner)
		}
	}
}

// Close stops watching. Current keeps returning the last map.
func (w *MapWatcher) Close() {
	w.cancel()
	<-w.done
}

func (w *MapWatcher) publish(m *ShardMap) {
	w.cur.Store(m)
	w.mu.Lock()
	close(w.mu.changed)
	w.mu.changed = make(chan struct{})
	w.mu.Unlock()
}

// load reads the whole cluster at one revision.
func (w *MapWatcher) load(ctx context.Context) (*ShardMap, error) {
	resp, err := w.cli.Get(ctx, w.keys.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("cluster: load map: %w", err)
	}
	m := &ShardMap{Revision: resp.Header.Revision, Nodes: map[string]NodeInfo{}, Draining: map[string]bool{}}
	// The shard count first: entries are sized by it.
	for _, kv := range resp.Kvs {
		if string(kv.Key) == w.keys.config() {
			w.apply(m, mvccpb.PUT, kv)
		}
	}
	for _, kv := range resp.Kvs {
		if string(kv.Key) != w.keys.config() {
			w.apply(m, mvccpb.PUT, kv)
		}
	}
	return m, nil
}

// run follows the prefix from the loaded revision, reloading when the
// watch is cancelled by etcd (compaction) or fails.
func (w *MapWatcher) run(ctx context.Context) {
	for ctx.Err() == nil {
		rev := w.Current().Revision
		wch := w.cli.Watch(clientv3.WithRequireLeader(ctx), w.keys.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
		for resp := range wch {
			if err := resp.Err(); err != nil {
				w.log.Warn("cluster: map watch interrupted", "err", err)
				break
			}
			if len(resp.Events) == 0 {
				continue
			}
			m := w.Current().clone()
			for _, ev := range resp.Events {
				w.apply(m, ev.Type, ev.Kv)
			}
			m.Revision = resp.Header.Revision
			w.publish(m)
		}
		if ctx.Err() != nil {
			return
		}
		// Reload: events may have been lost (compaction, leader loss).
		for ctx.Err() == nil {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			m, err := w.load(lctx)
			cancel()
			if err == nil {
				w.publish(m)
				break
			}
			if !errors.Is(err, context.Canceled) {
				w.log.Warn("cluster: reload map", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

// apply records one key change in m.
func (w *MapWatcher) apply(m *ShardMap, typ mvccpb.Event_EventType, kv *mvccpb.KeyValue) {
	key := string(kv.Key)
	put := typ == mvccpb.PUT
	switch {
	case key == w.keys.config():
		if !put {
			return
		}
		s, err := parseShards(kv.Value)
		if err != nil {
			w.log.Error("cluster: bad shard count in etcd", "err", err)
			return
		}
		if m.Shards == 0 {
			m.Shards = s
			m.Entries = make([]*ShardEntry, s)
			m.modRev = make([]int64, s)
		}
	case len(key) > len(w.keys.nodesPrefix()) && key[:len(w.keys.nodesPrefix())] == w.keys.nodesPrefix():
		id := w.keys.nodeFromKey(key)
		if !put {
			delete(m.Nodes, id)
			return
		}
		n, err := decodeNode(kv.Value)
		if err != nil || n.ID != id {
			w.log.Error("cluster: bad node record", "key", key, "err", err)
			return
		}
		m.Nodes[id] = n
	case len(key) > len(w.keys.drainPrefix()) && key[:len(w.keys.drainPrefix())] == w.keys.drainPrefix():
		id := key[len(w.keys.drainPrefix()):]
		if put {
			m.Draining[id] = true
		} else {
			delete(m.Draining, id)
		}
	default:
		s, ok := w.keys.shardFromKey(key)
		if !ok || s >= uint32(len(m.Entries)) {
			return
		}
		if !put {
			m.Entries[s], m.modRev[s] = nil, 0
			return
		}
		e, err := decodeShard(kv.Value)
		if err != nil {
			w.log.Error("cluster: bad shard entry", "key", key, "err", err)
			m.Entries[s], m.modRev[s] = nil, kv.ModRevision
			return
		}
		m.Entries[s], m.modRev[s] = &e, kv.ModRevision
	}
}
