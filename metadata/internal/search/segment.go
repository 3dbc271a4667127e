package search

import (
	"context"
	"fmt"
	"slices"

	"github.com/postbus/postbus/metadata/base"
)

// SegmentBuilder accumulates the postings of one index segment: for every
// trigram, the UIDs of the added messages that contain it. Messages are
// added in ascending UID order. It is not safe for concurrent use; Reset
// makes it ready for the next segment and keeps its buffers.
type SegmentBuilder struct {
	x         *Extractor
	post      map[uint32][]uint32
	uids      []uint32
	unindexed []uint32
	entries   int
}

// NewSegmentBuilder returns an empty builder.
func NewSegmentBuilder() *SegmentBuilder {
	return &SegmentBuilder{x: NewExtractor(), post: make(map[uint32][]uint32)}
}

// Reset empties the builder.
func (b *SegmentBuilder) Reset() {
	clear(b.post)
	b.uids, b.unindexed = b.uids[:0], b.unindexed[:0]
	b.entries = 0
}

// Add indexes msg, whose UID must be above every UID added since Reset.
// When its text cannot be read (the blob store fails), the message is
// recorded as unindexed (Unindexed) instead: it will be a candidate of
// every query, so a search reads it and fails or matches as without an
// index. Only ctx's error, or an out-of-order UID, is returned.
func (b *SegmentBuilder) Add(ctx context.Context, msg *Message, bodies BodySource) error {
	if msg == nil {
		return fmt.Errorf("search: index a nil message: %w", base.ErrInvalidArgument)
	}
	if n := len(b.uids); n > 0 && msg.UID <= b.uids[n-1] {
		return fmt.Errorf("search: index uid %d after %d: %w", msg.UID, b.uids[n-1], base.ErrInvalidArgument)
	}
	tris, err := b.x.Trigrams(ctx, msg, bodies)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	b.uids = append(b.uids, msg.UID)
	if err != nil {
		b.unindexed = append(b.unindexed, msg.UID)
		return nil
	}
	for _, t := range tris {
		b.post[t] = append(b.post[t], msg.UID)
	}
	b.entries += len(tris)
	return nil
}

// Entries is the number of (trigram, UID) postings so far: what the
// segment costs in memory (4 bytes each) and, roughly, on disk.
func (b *SegmentBuilder) Entries() int { return b.entries }

// Count is how many messages were added.
func (b *SegmentBuilder) Count() int { return len(b.uids) }

// Unindexed returns the UIDs, ascending, of the added messages whose text
// could not be read.
func (b *SegmentBuilder) Unindexed() []uint32 { return b.unindexed }

// Postings calls fn for every trigram of the segment in ascending order
// with its UIDs, ascending. The slice is only valid during the call.
func (b *SegmentBuilder) Postings(fn func(trigram uint32, uids []uint32) error) error {
	keys := make([]uint32, 0, len(b.post))
	for t := range b.post {
		keys = append(keys, t)
	}
	slices.Sort(keys)
	for _, t := range keys {
		if err := fn(t, b.post[t]); err != nil {
			return err
		}
	}
	return nil
}
