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
	t := &transfer{modRev: modRev, cancel: cancel}
	m.mu.transfers[s] = t
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer cancel()
		m.handoff(ctx, s, e, modRev)
		m.mu.Lock()
		if m.mu.transfers[s] == t {
			delete(m.mu.transfers, s)
		}
		m.mu.Unlock()
	}()
}

// handoff sends shard s to e.Target and flips the map to the target, retrying
// until it succeeds or the map entry changes (the controller cancelled the
// handoff, or the flip is already done).
func (m *Member) handoff(ctx context.Context, s uint32, e ShardEntry, modRev int64) {
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
		n, err := m.sendShard(ctx, s, e)
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
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		log.Warn("cluster: handoff failed; retrying", "err", err, "in", backoff)
		sleepCtx(ctx, backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
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

// ingest writes the pairs of the stream into the cleared range of shard s.
func (m *Member) ingest(stream clusterpb.Cluster_ReceiveShardServer, s uint32, expected func(*ShardMap) bool) (uint64, error) {
	sl := &m.slots[s]
	sl.data.Lock()
	defer sl.data.Unlock()
	if !expected(m.w.Current()) {
		return 0, fmt.Errorf("%w: shard %d handoff changed", ErrNotServing, s)
	}
	imp, err := m.node.BeginShardImport(s)
	if err != nil {
		return 0, err
	}
	h := crc64.New(crcTable)
	var count uint64
	for {
		c, err := stream.Recv()
		if err != nil {
			imp.Abort()
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("cluster: receive shard %d: stream ended without trailer: %w", s, base.ErrInvalidArgument)
			}
			return 0, err
		}
		for _, kv := range c.Pairs {
			if err := imp.Put(kv.Key, kv.Value); err != nil {
				imp.Abort()
				return 0, err
			}
			pairHash(h, kv.Key, kv.Value)
			count++
		}
		if t := c.GetTrailer(); t != nil {
			if t.Count != count || t.Checksum != h.Sum64() {
				imp.Abort()
				return 0, fmt.Errorf("cluster: receive shard %d: got %d pairs (crc %x), sender says %d (crc %x): %w",
					s, count, h.Sum64(), t.Count, t.Checksum, base.ErrConflict)
			}
			break
		}
	}
	n, err := imp.Finish()
	if err != nil {
		imp.Abort()
		return 0, err
	}
	return n, nil
}
