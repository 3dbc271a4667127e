package metadata

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/metadata/internal/search"
	"github.com/postbus/postbus/metadata/internal/state"
	"github.com/postbus/postbus/proto/metadatapb"
)

// indexStep does the next piece of index work on one mailbox (see
// bodyindex.go for the order) and reports whether more remains. It
// serialises with other calls, so tests may call it beside the worker.
func (x *bodyIndexer) indexStep(ctx context.Context, ref mboxRef) (more bool, err error) {
	x.stepMu.Lock()
	defer x.stepMu.Unlock()
	if x.n.blobs == nil {
		return false, nil // nothing to read text from
	}
	shard := base.ShardOf(ref.user, x.n.shards)
	snap := x.n.db.NewSnapshot()
	defer snap.Close()
	mb, err := readMailbox(snap, shard, ref.user, ref.mbox)
	if err != nil {
		return false, err
	}
	segs, err := readSegments(snap, shard, ref.user, ref.mbox, mb.UIDValidity)
	if err != nil {
		return false, err
	}

	// Damaged segments first: drop them, which turns their ranges into
	// gaps that the next steps fill.
	x.mu.Lock()
	reported := x.mu.corrupt[ref]
	delete(x.mu.corrupt, ref)
	x.mu.Unlock()
	var drop []segInfo
	for _, s := range segs {
		if s.bad || slices.Contains(reported, s.start) {
			drop = append(drop, s)
		}
	}
	if len(drop) > 0 {
		x.n.log.Warn("metadata: body index: dropping damaged segments", "user", ref.user, "mailbox", ref.mbox, "segments", len(drop))
		return true, x.commit(ref, mb.UIDValidity, drop, nil, 0, 0)
	}

	// Gaps between segments, then the tail.
	next := uint32(1)
	for _, s := range segs {
		if s.start > next {
			return true, x.buildRange(ctx, snap, shard, ref, mb.UIDValidity, next, s.start-1, nil, false)
		}
		if s.rec.End == ^uint32(0) {
			return false, nil // the last UID there can be is covered
		}
		next = s.rec.End + 1
	}
	tail, err := liveUIDs(snap, shard, ref.user, ref.mbox, next, ^uint32(0), x.segSize)
	if err != nil {
		return false, err
	}
	if len(tail) >= x.segSize {
		return true, x.buildRange(ctx, snap, shard, ref, mb.UIDValidity, next, tail[len(tail)-1], nil, false)
	}
	// Sparse segments are rebuilt before merging, so that a merge does
	// not carry postings of messages long gone.
	if more, err := x.rebuildSparse(ctx, snap, shard, ref, mb, segs, len(tail)); more || err != nil {
		return more, err
	}
	if run := mergeRun(segs, x.segSize, 2*x.maxPostings); run != nil {
		return true, x.merge(snap, shard, ref, mb.UIDValidity, run)
	}
	return false, nil
}

// rebuildSparse rebuilds the first segment of which more than half the
// messages were expunged, with the following segments while they fit in
// one. tailLive is the number of messages above the last segment. It
// counts per segment only when the mailbox lost messages since the last
// time every segment was found dense enough.
func (x *bodyIndexer) rebuildSparse(ctx context.Context, snap *pebble.Snapshot, shard uint32, ref mboxRef,
	mb schema.MailboxRecord, segs []segInfo, tailLive int) (bool, error) {
	if len(segs) == 0 {
		return false, nil
	}
	var indexed uint64
	for _, s := range segs {
		indexed += uint64(s.rec.Count)
	}
	covered := uint64(mb.Messages) - uint64(min(uint32(tailLive), mb.Messages))
	gone := indexed - min(indexed, covered)
	x.mu.Lock()
	seen, ok := x.mu.checked[ref]
	x.mu.Unlock()
	if gone == 0 || (ok && seen == gone) {
		return false, nil
	}
	live, err := liveCounts(snap, shard, ref, segs)
	if err != nil {
		return false, err
	}
	for i, s := range segs {
		if live[i]*2 >= int(s.rec.Count) {
			continue
		}
		j, total := i, live[i]
		for j+1 < len(segs) && total+live[j+1] <= x.segSize {
			j++
			total += live[j]
		}
		return true, x.buildRange(ctx, snap, shard, ref, mb.UIDValidity, s.start, segs[j].rec.End, segs[i:j+1], true)
	}
	x.mu.Lock()
	if len(x.mu.checked) >= maxQueued {
		clear(x.mu.checked) // forgetting only costs one more count
	}
	x.mu.checked[ref] = gone
	x.mu.Unlock()
	return false, nil
}

// liveCounts counts the messages still in each segment's range with one
// pass over the keys of the message state table.
func liveCounts(r pebble.Reader, shard uint32, ref mboxRef, segs []segInfo) ([]int, error) {
	counts := make([]int, len(segs))
	p := schema.MailboxPrefix(shard, schema.TableMsgState, ref.user, ref.mbox)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: schema.MsgStateKey(shard, ref.user, ref.mbox, segs[0].start), UpperBound: schema.PrefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("metadata: body index: %w", err)
	}
	i := 0
	for ok := it.First(); ok && i < len(segs); ok = it.Next() {
		uid, err := schema.UIDFromKey(it.Key())
		if err != nil {
			break
		}
		for i < len(segs) && uid > segs[i].rec.End {
			i++
		}
		if i < len(segs) && uid >= segs[i].start {
			counts[i]++
		}
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("metadata: body index: %w", err)
	}
	return counts, nil
}

// maxSegmentPostings bounds one segment's postings, so that a segment of
// long messages stays a batch of a few MB and its builder's memory small.
const maxSegmentPostings = 4 << 20

// errSegmentFull stops reading messages into a full segment.
var errSegmentFull = errors.New("metadata: body index segment full")

// buildRange indexes the messages of [start, end] (at most segSize of
// them; with limit, end is lowered to the segSize-th) into one segment
// that replaces the segments of replace.
func (x *bodyIndexer) buildRange(ctx context.Context, snap *pebble.Snapshot, shard uint32, ref mboxRef,
	uidValidity, start, end uint32, replace []segInfo, exact bool) error {
	if !exact {
		uids, err := liveUIDs(snap, shard, ref.user, ref.mbox, start, end, x.segSize)
		if err != nil {
			return err
		}
		if len(uids) == x.segSize {
			end = uids[len(uids)-1]
		}
	}
	if x.builder == nil {
		x.builder = search.NewSegmentBuilder()
	}
	b := x.builder
	b.Reset()
	set := &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: start, Stop: end}}}
	err := x.n.st.Messages(ref.user, ref.mbox, set, state.AllMeta, 0, func(r *metadatapb.MessageRecord) error {
		msg := &search.Message{UID: r.State.Uid, ModSeq: r.State.Modseq, Flags: r.State.Flags, Meta: r.Meta}
		if err := b.Add(ctx, msg, x.n.blobs); err != nil {
			return err
		}
		if b.Entries() >= x.maxPostings && msg.UID < end {
			// Long texts: end the segment here; the rest of the range
			// is a gap the next step fills.
			end = msg.UID
			return errSegmentFull
		}
		return nil
	})
	if err != nil && !errors.Is(err, errSegmentFull) {
		return err
	}
	return x.commit(ref, uidValidity, replace, b, start, end)
}

// segmentSource is what commit writes as a segment: a SegmentBuilder, or
// segments being merged. Postings is called before Unindexed and Count.
type segmentSource interface {
	Postings(fn func(trigram uint32, uids []uint32) error) error
	Unindexed() []uint32
	Count() int
	Entries() int
}

var _ segmentSource = (*search.SegmentBuilder)(nil)

// commit writes one batch that drops the segments of drop and, with b,
// adds the segment [start, end] built by b.
func (x *bodyIndexer) commit(ref mboxRef, uidValidity uint32, drop []segInfo, b segmentSource, start, end uint32) error {
	shard := base.ShardOf(ref.user, x.n.shards)
	batch := x.n.db.NewBatch()
	defer batch.Close()
	for _, s := range drop {
		p := schema.TextPostingsPrefix(shard, ref.user, ref.mbox, s.start)
		if err := batch.DeleteRange(p, schema.PrefixEnd(p), nil); err != nil {
			return fmt.Errorf("metadata: body index: %w", err)
		}
		if err := batch.Delete(schema.TextSegmentKey(shard, ref.user, ref.mbox, s.start), nil); err != nil {
			return fmt.Errorf("metadata: body index: %w", err)
		}
	}
	if b != nil {
		// A new segment that starts where an old one did replaces all of
		// its keys, dropped above or not.
		p := schema.TextPostingsPrefix(shard, ref.user, ref.mbox, start)
		if err := batch.DeleteRange(p, schema.PrefixEnd(p), nil); err != nil {
			return fmt.Errorf("metadata: body index: %w", err)
		}
		err := b.Postings(func(tri uint32, uids []uint32) error {
			return batch.Set(schema.TextPostingsKey(shard, ref.user, ref.mbox, start, tri), schema.EncodePostings(start, tri, uids), nil)
		})
		if err != nil {
			return fmt.Errorf("metadata: body index: %w", err)
		}
		if u := b.Unindexed(); len(u) > 0 {
			k := schema.TextPostingsKey(shard, ref.user, ref.mbox, start, schema.TrigramUnindexed)
			if err := batch.Set(k, schema.EncodePostings(start, schema.TrigramUnindexed, u), nil); err != nil {
				return fmt.Errorf("metadata: body index: %w", err)
			}
		}
		rec := schema.TextSegment{UIDValidity: uidValidity, End: end, Count: uint32(b.Count()), Postings: uint32(min(b.Entries(), math.MaxUint32))}
		if err := batch.Set(schema.TextSegmentKey(shard, ref.user, ref.mbox, start), rec.Encode(), nil); err != nil {
			return fmt.Errorf("metadata: body index: %w", err)
		}
	}
	return x.n.st.CommitDerived(ref.user, ref.mbox, uidValidity, batch)
}
