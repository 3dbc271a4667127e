package metadata

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/internal/schema"
)

// Merging segments: a search looks up its trigrams in every segment, so
// their number is what a lookup costs. Once mergeFanIn consecutive
// segments of the indexer's size exist, they are merged into one from
// their postings alone (no message is read again): the postings of each
// trigram are concatenated, segments being consecutive UID ranges. A
// mailbox of n messages thus has about n/(mergeFanIn*SegmentSize) big
// segments plus fewer than mergeFanIn small ones.

// mergeFanIn is how many segments are merged into one.
const mergeFanIn = 8

// mergeRun looks for mergeFanIn consecutive segments that are small (at
// most segSize messages: not merged yet) and dense (at least half of
// segSize: sparse ones are rebuilt instead), and returns the longest
// prefix of them, of two or more, whose postings add up to at most
// maxPostings (one batch of bounded size); nil if there is none. Merged
// segments are not small, so merging always ends.
func mergeRun(segs []segInfo, segSize, maxPostings int) []segInfo {
	small := func(s segInfo) bool {
		c := int(s.rec.Count)
		return !s.bad && c <= segSize && c*2 >= segSize
	}
outer:
	for i := 0; i+mergeFanIn <= len(segs); i++ {
		for j := i; j < i+mergeFanIn; j++ {
			if !small(segs[j]) || (j > i && segs[j].start != segs[j-1].rec.End+1) {
				continue outer
			}
		}
		k, sum := 0, 0
		for k < mergeFanIn && sum+int(segs[i+k].rec.Postings) <= maxPostings {
			sum += int(segs[i+k].rec.Postings)
			k++
		}
		if k >= 2 {
			return segs[i : i+k]
		}
	}
	return nil
}

// merge replaces the segments of run with one.
func (x *bodyIndexer) merge(snap *pebble.Snapshot, shard uint32, ref mboxRef, uidValidity uint32, run []segInfo) error {
	m := &mergedSegment{}
	for _, s := range run {
		p := schema.TextPostingsPrefix(shard, ref.user, ref.mbox, s.start)
		it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: schema.PrefixEnd(p)})
		if err != nil {
			m.close()
			return fmt.Errorf("metadata: body index merge: %w", err)
		}
		it.First()
		m.srcs = append(m.srcs, mergeSource{it: it, seg: s})
		m.count += int(s.rec.Count)
		m.entries += int(s.rec.Postings)
	}
	defer m.close()
	last := run[len(run)-1]
	err := x.commit(ref, uidValidity, run, m, run[0].start, last.rec.End)
	if m.bad != nil {
		// A source did not decode: drop it (the search that meets it
		// would report it too) and merge later.
		x.reportCorrupt(ref.user, ref.mbox, m.bad.start)
	}
	return err
}

// mergeSource is one segment being merged, read in trigram order.
type mergeSource struct {
	it  *pebble.Iterator
	seg segInfo
}

func (s *mergeSource) trigram() (uint32, bool) {
	if !s.it.Valid() {
		return 0, false
	}
	k := s.it.Key()
	return binary.BigEndian.Uint32(k[len(k)-4:]), true
}

// mergedSegment streams the union of the sources' postings; it is the
// segmentSource commit writes.
type mergedSegment struct {
	srcs      []mergeSource
	count     int
	entries   int
	unindexed []uint32
	bad       *segInfo
}

func (m *mergedSegment) Count() int          { return m.count }
func (m *mergedSegment) Entries() int        { return m.entries }
func (m *mergedSegment) Unindexed() []uint32 { return m.unindexed }

func (m *mergedSegment) Postings(fn func(trigram uint32, uids []uint32) error) error {
	var uids []uint32
	for {
		min, any := uint32(0), false
		for i := range m.srcs {
			if t, ok := m.srcs[i].trigram(); ok && (!any || t < min) {
				min, any = t, true
			}
		}
		if !any {
			return nil
		}
		uids = uids[:0]
		for i := range m.srcs { // ascending segments: ascending UIDs
			s := &m.srcs[i]
			if t, ok := s.trigram(); !ok || t != min {
				continue
			}
			v, err := s.it.ValueAndErr()
			if err == nil {
				uids, err = schema.DecodePostings(uids, s.seg.start, s.seg.rec.End, min, v)
			}
			if err != nil {
				m.bad = &s.seg
				return fmt.Errorf("metadata: body index merge of segment %d: %w", s.seg.start, err)
			}
			s.it.Next()
		}
		if min == schema.TrigramUnindexed {
			m.unindexed = append(m.unindexed, uids...)
			continue
		}
		if err := fn(min, uids); err != nil {
			return err
		}
	}
}

func (m *mergedSegment) close() {
	for _, s := range m.srcs {
		s.it.Close()
	}
}
