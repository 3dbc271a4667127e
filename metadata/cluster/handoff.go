package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc64"
	"io"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/clusterpb"
	"github.com/postbus/postbus/proto/metadatapb"
)

// chunkBytes is the payload size at which the sender sends a chunk.
const chunkBytes = 1 << 20

// defaultReceiveWait bounds how long a receiver waits for its map to show
// the handoff the sender announces (the sender may see the map first).
const defaultReceiveWait = 10 * time.Second

var crcTable = crc64.MakeTable(crc64.ECMA)

// pairHash feeds one pair into the transfer checksum (see cluster.proto).
func pairHash(h hash.Hash64, k, v []byte) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(k)))])
	h.Write(k)
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
	h.Write(v)
}

// startTransferLocked starts the handoff of shard s (entry e at modRev).
func (m *Member) startTransferLocked(s uint32, e ShardEntry, modRev int64) {
	ctx, cancel := context.WithCancel(m.ctx)
	t := &transfer{modRev: modRev, cancel: cancel, done: make(chan struct{})}
	m.mu.transfers[s] = t
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(t.done)
		defer cancel()
		settled := m.handoff(ctx, s, e, modRev)
		m.mu.Lock()
		// A settled handoff stays recorded until reconcile sees its entry
		// change: the watcher may still hold a map from before the flip, and
		// a reconcile of that map must not start the same handoff again.
		if !settled && m.mu.transfers[s] == t {
			delete(m.mu.transfers, s)
		}
		m.mu.Unlock()
	}()
}

// handoff sends shard s to e.Target and flips the map to the target, retrying
// until it succeeds or the entry changes (the controller cancelled the
// handoff, or the flip is already done). It reports whether the handoff is
// settled — flipped, or its entry changed in etcd — rather than cancelled.
func (m *Member) handoff(ctx context.Context, s uint32, e ShardEntry, modRev int64) bool {
	// The fence: reconcile has cleared serving before starting us; taking
	// the write lock once waits for every request admitted before that.
	sl := &m.slots[s]
	sl.mu.Lock()
	//lint:ignore SA2001 the lock is a barrier: acquiring it is the point
	sl.mu.Unlock()
	log := m.log.With("shard", s, "to", e.Target)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		start := time.Now()
		// Ask etcd, not the watcher, whether the handoff is still on: the
		// watcher may lag behind our own flip (a flip whose answer was lost,
		// a handoff started again from a map older than the flip). Sending
		// then would be a stream of a finished handoff to a target that
		// may already serve the shard.
		live, err := m.handoffLive(ctx, s, modRev)
		if err == nil && !live {
			return true
		}
		var n uint64
		if err == nil {
			n, err = m.sendShard(ctx, s, e)
		}
		if err == nil {
			var flipped bool
			flipped, err = m.flip(ctx, s, e, modRev)
			if err == nil {
				if flipped {
					log.Info("cluster: shard handed off", "pairs", n, "took", time.Since(start).Round(time.Millisecond))
					m.mu.Lock()
					m.mu.pendingDrop[s] = true
					m.mu.Unlock()
				}
				return true
			}
		}
		if ctx.Err() != nil {
			return false
		}
		log.Warn("cluster: handoff failed; retrying", "err", err, "in", backoff)
		sleepCtx(ctx, backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
	return false
}

// handoffLive reports whether shard s's entry in etcd is still the one a
// handoff started from (ModRevision modRev), by a linearizable read.
func (m *Member) handoffLive(ctx context.Context, s uint32, modRev int64) (bool, error) {
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := m.cli.Get(tctx, m.keys.shard(s))
	if err != nil {
		return false, fmt.Errorf("cluster: read shard %d: %w", s, err)
	}
	return len(resp.Kvs) == 1 && resp.Kvs[0].ModRevision == modRev, nil
}

// flip makes the target the owner, if the entry is still the one the
// handoff started from. It reports whether it did.
func (m *Member) flip(ctx context.Context, s uint32, e ShardEntry, modRev int64) (bool, error) {
	key := m.keys.shard(s)
	next := ShardEntry{Owner: e.Target, Epoch: e.Epoch + 1, State: StateActive}
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := m.cli.Txn(tctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", modRev)).
		Then(clientv3.OpPut(key, mustJSON(next))).
		Commit()
	if err != nil {
		return false, fmt.Errorf("cluster: flip shard %d: %w", s, err)
	}
	return resp.Succeeded, nil
}

// sendShard streams the local copy of shard s to the handoff target.
func (m *Member) sendShard(ctx context.Context, s uint32, e ShardEntry) (uint64, error) {
	target, ok := m.w.Current().Nodes[e.Target]
	if !ok {
		return 0, fmt.Errorf("cluster: handoff target %s is not registered: %w", e.Target, base.ErrUnavailable)
	}
	cc, err := m.peer(target.Addr)
	if err != nil {
		return 0, err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := clusterpb.NewClusterClient(cc).ReceiveShard(sctx)
	if err != nil {
		return 0, fmt.Errorf("cluster: send shard %d: %w", s, metadatapb.FromStatus(err))
	}
	hdr := &clusterpb.ShardHeader{Shard: s, Shards: m.shards, FromNode: m.opts.ID, Epoch: e.Epoch}
	if err := stream.Send(&clusterpb.ShardChunk{Header: hdr}); err != nil {
		return 0, m.streamErr(stream, err)
	}
	h := crc64.New(crcTable)
	var count uint64
	chunk := &clusterpb.ShardChunk{}
	size := 0
	err = m.node.ExportShard(sctx, s, func(k, v []byte) error {
		pairHash(h, k, v)
		count++
		chunk.Pairs = append(chunk.Pairs, &clusterpb.KeyValue{Key: append([]byte(nil), k...), Value: append([]byte(nil), v...)})
		size += len(k) + len(v)
		if size < chunkBytes {
			return nil
		}
		err := stream.Send(chunk)
		chunk, size = &clusterpb.ShardChunk{}, 0
		return err
	})
	if err != nil {
		return 0, m.streamErr(stream, err)
	}
	chunk.Trailer = &clusterpb.ShardTrailer{Count: count, Checksum: h.Sum64()}
	if err := stream.Send(chunk); err != nil {
		return 0, m.streamErr(stream, err)
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return 0, fmt.Errorf("cluster: send shard %d: %w", s, metadatapb.FromStatus(err))
	}
	if resp.Count != count {
		return 0, fmt.Errorf("cluster: send shard %d: receiver wrote %d pairs of %d", s, resp.Count, count)
	}
	return count, nil
}

// streamErr returns the receiver's status when a Send failed because the
// receiver ended the stream (Send then returns io.EOF).
func (m *Member) streamErr(stream clusterpb.Cluster_ReceiveShardClient, err error) error {
	if errors.Is(err, io.EOF) {
		_, err = stream.CloseAndRecv()
	}
	return fmt.Errorf("cluster: send shard: %w", metadatapb.FromStatus(err))
}

// ReceiveShard ingests a shard handed off to this node (cluster.proto).
func (m *Member) ReceiveShard(stream clusterpb.Cluster_ReceiveShardServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	h := first.GetHeader()
	if h == nil {
		return metadatapb.ToStatus(fmt.Errorf("cluster: receive: first chunk has no header: %w", base.ErrInvalidArgument))
	}
	if h.Shards != m.shards || h.Shard >= m.shards {
		return metadatapb.ToStatus(fmt.Errorf("%w: sender has %d, shard %d", ErrWrongShards, h.Shards, h.Shard))
	}
	s := h.Shard
	expected := func(mp *ShardMap) bool {
		e, ok := mp.Entry(s)
		return ok && e.State == StateMoving && e.Owner == h.FromNode && e.Target == m.opts.ID && e.Epoch == h.Epoch
	}
	wctx, cancel := context.WithTimeout(stream.Context(), m.opts.ReceiveWait)
	err = m.w.WaitFor(wctx, expected)
	cancel()
	if err != nil {
		return metadatapb.ToStatus(fmt.Errorf("%w: shard %d is not moving from %s to %s", ErrNotServing, s, h.FromNode, m.opts.ID))
	}
	n, err := m.ingest(stream, s, expected)
	// Whatever happened, the local copy is only kept if the map makes this
	// node the owner.
	m.mu.Lock()
	m.mu.pendingDrop[s] = true
	m.mu.Unlock()
	if err != nil {
		m.log.Warn("cluster: receive shard failed", "shard", s, "from", h.FromNode, "err", err)
		return metadatapb.ToStatus(err)
	}
	m.log.Info("cluster: received shard", "shard", s, "from", h.FromNode, "pairs", n)
	return stream.SendAndClose(&clusterpb.ReceiveShardResponse{Count: n})
}

// receipt records the shard a node has ingested for one handoff: the
// ModRevision of the "moving" entry it was received under (which names the
// handoff: a cancelled and replanned one has another), and the stream's
// count and checksum. Guarded by the slot's data lock; zero when none.
type receipt struct {
	modRev int64
	count  uint64
	sum    uint64
}

// ingest writes the pairs of the stream into the cleared range of shard s.
//
// Once an ingest of a handoff has succeeded, the sender may flip the map at
// any moment and this node serves the shard as soon as it sees the flip, so
// the received copy is the shard's only authoritative data from then on. A
// later stream of the same handoff — a sender retrying after a lost answer,
// a late stream of an attempt the sender gave up on, a sender working from
// a stale map that may have dropped its copy already — is therefore only
// checked against the receipt and never touches the range: it is answered
// as received if it carries exactly the same pairs (the sender is fenced,
// so a genuine retry does), and refused otherwise.
func (m *Member) ingest(stream clusterpb.Cluster_ReceiveShardServer, s uint32, expected func(*ShardMap) bool) (uint64, error) {
	sl := &m.slots[s]
	sl.data.Lock()
	defer sl.data.Unlock()
	mp := m.w.Current()
	if !expected(mp) {
		return 0, fmt.Errorf("%w: shard %d handoff changed", ErrNotServing, s)
	}
	if sl.serving.Load() {
		// Defence in depth: never rewrite a range this node admits requests for.
		return 0, fmt.Errorf("%w: shard %d is served here", ErrNotServing, s)
	}
	modRev := mp.modRev[s]
	if r := sl.received; r.modRev == modRev {
		count, sum, err := readShardStream(stream, s, func(k, v []byte) error { return nil })
		if err != nil {
			return 0, err
		}
		if count != r.count || sum != r.sum {
			return 0, fmt.Errorf("cluster: receive shard %d again: %d pairs (crc %x), received %d (crc %x) for this handoff: %w",
				s, count, sum, r.count, r.sum, base.ErrConflict)
		}
		return count, nil
	}
	sl.received = receipt{}
	imp, err := m.node.BeginShardImport(s)
	if err != nil {
		return 0, err
	}
	count, sum, err := readShardStream(stream, s, imp.Put)
	if err != nil {
		imp.Abort()
		return 0, err
	}
	n, err := imp.Finish()
	if err != nil {
		imp.Abort()
		return 0, err
	}
	sl.received = receipt{modRev: modRev, count: count, sum: sum}
	return n, nil
}

// readShardStream passes every pair of a shard stream (after its header)
// to put, up to the trailer, and checks the trailer's count and checksum.
func readShardStream(stream clusterpb.Cluster_ReceiveShardServer, s uint32, put func(k, v []byte) error) (count, sum uint64, err error) {
	h := crc64.New(crcTable)
	for {
		c, err := stream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("cluster: receive shard %d: stream ended without trailer: %w", s, base.ErrInvalidArgument)
			}
			return 0, 0, err
		}
		for _, kv := range c.Pairs {
			if err := put(kv.Key, kv.Value); err != nil {
				return 0, 0, err
			}
			pairHash(h, kv.Key, kv.Value)
			count++
		}
		if t := c.GetTrailer(); t != nil {
			if t.Count != count || t.Checksum != h.Sum64() {
				return 0, 0, fmt.Errorf("cluster: receive shard %d: got %d pairs (crc %x), sender says %d (crc %x): %w",
					s, count, h.Sum64(), t.Count, t.Checksum, base.ErrConflict)
			}
			return count, h.Sum64(), nil
		}
	}
}
