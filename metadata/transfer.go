package metadata

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
)

// Shard transfer: the raw key-range operations that cluster mode
// (metadata/cluster) uses to move a shard between nodes. One shard is the
// contiguous key range [ShardStart(s), ShardStart(s+1)) of the schema, and
// holds everything of its users, including every mailbox's UIDNEXT and
// HIGHESTMODSEQ: copying the range moves the allocation state with the data,
// so UIDs and MODSEQs continue where they were on the old owner.
//
// These methods do not check ownership: the caller (the cluster member) makes
// sure no RPC uses the shard while it exports, imports or drops it.

// Shards is the node's shard count (Options.Shards or the persisted one).
func (n *Node) Shards() uint32 { return n.shards }

// shardBounds returns the key range of a shard.
func (n *Node) shardBounds(shard uint32) (lo, hi []byte, err error) {
	if shard >= n.shards {
		return nil, nil, fmt.Errorf("metadata: shard %d of %d: %w", shard, n.shards, base.ErrInvalidArgument)
	}
	return schema.ShardStart(shard), schema.ShardStart(shard + 1), nil
}

// ExportShard calls emit for every key/value pair of a shard, in key order,
// from one consistent snapshot. The slices passed to emit are only valid
// during the call. It stops at the first error of emit or ctx.
func (n *Node) ExportShard(ctx context.Context, shard uint32, emit func(key, value []byte) error) error {
	lo, hi, err := n.shardBounds(shard)
	if err != nil {
		return err
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.mu.closed {
		return ErrClosed
	}
	snap := n.db.NewSnapshot()
	defer snap.Close()
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("metadata: export shard %d: %w", shard, err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("metadata: export shard %d: %w", shard, err)
		}
		if err := emit(it.Key(), v); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("metadata: export shard %d: %w", shard, err)
	}
	return nil
}

// ShardHasData reports whether the store holds any key of a shard.
func (n *Node) ShardHasData(shard uint32) (bool, error) {
	lo, hi, err := n.shardBounds(shard)
	if err != nil {
		return false, err
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.mu.closed {
		return false, ErrClosed
	}
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return false, fmt.Errorf("metadata: shard %d: %w", shard, err)
	}
	defer it.Close()
	found := it.First()
	return found, it.Error()
}

// DropShard deletes every key of a shard, durably (fsync) before it returns.
func (n *Node) DropShard(shard uint32) error {
	lo, hi, err := n.shardBounds(shard)
	if err != nil {
		return err
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.mu.closed {
		return ErrClosed
	}
	if err := n.db.DeleteRange(lo, hi, pebble.Sync); err != nil {
		return fmt.Errorf("metadata: drop shard %d: %w", shard, err)
	}
	n.st.Invalidate() // written past the Store
	return nil
}

// importBatchBytes bounds one ingest batch; each batch is committed with
// fsync, so a bigger batch means fewer fsyncs but more memory.
const importBatchBytes = 4 << 20

// ShardImport ingests a shard's key range sent by another node. It is not
// safe for concurrent use.
type ShardImport struct {
	n      *Node
	shard  uint32
	lo, hi []byte
	b      *pebble.Batch
	count  uint64
}

// BeginShardImport clears the shard's range (so a retried transfer
// overwrites a partial one) and returns an importer for it.
func (n *Node) BeginShardImport(shard uint32) (*ShardImport, error) {
	lo, hi, err := n.shardBounds(shard)
	if err != nil {
		return nil, err
	}
	if err := n.DropShard(shard); err != nil {
		return nil, err
	}
	return &ShardImport{n: n, shard: shard, lo: lo, hi: hi, b: n.db.NewBatch()}, nil
}

// Put adds one pair. Keys outside the shard's range are refused with
// base.ErrInvalidArgument: a sender can only write the shard it sends.
func (w *ShardImport) Put(key, value []byte) error {
	if string(key) < string(w.lo) || string(key) >= string(w.hi) {
		return fmt.Errorf("metadata: import shard %d: key %x outside the shard: %w", w.shard, key, base.ErrInvalidArgument)
	}
	if err := w.b.Set(key, value, nil); err != nil {
		return fmt.Errorf("metadata: import shard %d: %w", w.shard, err)
	}
	w.count++
	if w.b.Len() >= importBatchBytes {
		return w.flush()
	}
	return nil
}

func (w *ShardImport) flush() error {
	if w.b.Empty() {
		return nil
	}
	w.n.mu.RLock()
	defer w.n.mu.RUnlock()
	if w.n.mu.closed {
		return ErrClosed
	}
	if err := w.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("metadata: import shard %d: %w", w.shard, err)
	}
	w.n.st.Invalidate() // written past the Store
	w.b.Close()
	w.b = w.n.db.NewBatch()
	return nil
}

// Finish commits what is left, durably, and returns the number of pairs
// written.
func (w *ShardImport) Finish() (uint64, error) {
	err := w.flush()
	w.b.Close()
	w.b = nil
	return w.count, err
}

// Abort discards the import and clears the shard's range again.
func (w *ShardImport) Abort() error {
	if w.b != nil {
		w.b.Close()
		w.b = nil
	}
	return w.n.DropShard(w.shard)
}
