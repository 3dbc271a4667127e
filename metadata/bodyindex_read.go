package metadata

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/metadata/internal/search"
	"github.com/postbus/postbus/proto/metadatapb"
)

// searchSet returns the UIDs a search with matcher m must evaluate in a
// mailbox: nil means every message. It narrows with the body index when
// the key allows it (search.IndexQuery); any trouble with the index only
// widens the set, never fails the search.
func (n *Node) searchSet(user string, mbox uint64, m *search.Matcher) *metadatapb.UidSet {
	q := m.IndexQuery()
	if n.index == nil || q == nil {
		return nil
	}
	set, err := n.index.candidates(user, mbox, q)
	if err != nil {
		n.log.Warn("metadata: body index lookup, scanning instead", "user", user, "mailbox", mbox, "err", err)
		return nil
	}
	return set
}

// candidates evaluates q over every segment of a mailbox from one
// snapshot. The result holds each segment's candidates, the messages a
// segment could not index, and every range no usable segment covers
// (gaps, damaged segments, the tail above the last segment). Messages
// expunged since a segment was built may be among the candidates: the
// search only evaluates messages that exist. Nil means "all": the
// mailbox is unknown here (the search reports it), or most messages are
// candidates anyway and a plain scan reads less.
func (x *bodyIndexer) candidates(user string, mbox uint64, q *search.IndexQuery) (*metadatapb.UidSet, error) {
	shard := base.ShardOf(user, x.n.shards)
	snap := x.n.db.NewSnapshot()
	defer snap.Close()
	mb, err := readMailbox(snap, shard, user, mbox)
	if err != nil {
		return nil, nil
	}
	segs, err := readSegments(snap, shard, user, mbox, mb.UIDValidity)
	if err != nil {
		return nil, err
	}
	p := schema.MailboxPrefix(shard, schema.TableTextIndex, user, mbox)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: schema.PrefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("metadata: body index: %w", err)
	}
	defer it.Close()

	set := &metadatapb.UidSet{}
	addRange := func(lo, hi uint32) { set.Ranges = append(set.Ranges, &metadatapb.UidRange{Start: lo, Stop: hi}) }
	singles := 0
	next := uint32(1) // first UID not yet covered
	for _, s := range segs {
		if s.bad {
			x.reportCorrupt(user, mbox, s.start)
			continue // its range is part of the next gap
		}
		if s.start > next {
			addRange(next, s.start-1)
		}
		get := func(tri uint32) ([]uint32, error) {
			k := schema.TextPostingsKey(shard, user, mbox, s.start, tri)
			if !it.SeekGE(k) || !bytes.Equal(it.Key(), k) {
				return nil, it.Error()
			}
			v, err := it.ValueAndErr()
			if err != nil {
				return nil, err
			}
			return schema.DecodePostings(nil, s.start, s.rec.End, tri, v)
		}
		c, err := q.Candidates(get)
		var unindexed []uint32
		if err == nil {
			unindexed, err = get(schema.TrigramUnindexed)
		}
		if err != nil {
			// Damaged postings: scan the segment's range, rebuild it.
			x.reportCorrupt(user, mbox, s.start)
			addRange(s.start, s.rec.End)
		} else {
			if len(unindexed) > 0 {
				c = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(c), unindexed...))))
			}
			singles += len(c)
			addUIDs(set, c)
		}
		if s.rec.End == ^uint32(0) {
			return set, nil
		}
		next = s.rec.End + 1
	}
	if mb.UIDNext > next {
		addRange(next, 0) // the tail, to the end
		if mb.UIDNext-next > uint32(x.segSize) {
			x.notify(user, mbox) // maybe a tail worth indexing (or first search)
		}
	}
	if uint32(singles) > mb.Messages/2 {
		return nil, nil
	}
	return set, nil
}

// addUIDs appends ascending UIDs to set as ranges of consecutive UIDs.
func addUIDs(set *metadatapb.UidSet, uids []uint32) {
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		set.Ranges = append(set.Ranges, &metadatapb.UidRange{Start: uids[i], Stop: uids[j]})
		i = j + 1
	}
}
