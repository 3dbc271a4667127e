package metadata

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
)

// Reading the body index's directory and the state it is checked
// against; shared by the indexer and the search path.

// segInfo is one segment directory record as read.
type segInfo struct {
	start uint32
	rec   schema.TextSegment
	// bad: the record does not decode, belongs to another UIDVALIDITY,
	// or overlaps the segment before it. Its range is not covered.
	bad bool
}

// readMailbox reads a mailbox record; base.ErrNoSuchMailbox if none.
func readMailbox(r pebble.Reader, shard uint32, user string, mbox uint64) (schema.MailboxRecord, error) {
	v, closer, err := r.Get(schema.MailboxKey(shard, user, mbox))
	if errors.Is(err, pebble.ErrNotFound) {
		return schema.MailboxRecord{}, fmt.Errorf("metadata: mailbox id %d: %w", mbox, base.ErrNoSuchMailbox)
	}
	if err != nil {
		return schema.MailboxRecord{}, fmt.Errorf("metadata: read mailbox: %w", err)
	}
	defer closer.Close()
	return schema.DecodeMailboxRecord(v)
}

// readSegments returns the directory of a mailbox's text index segments,
// ascending by start. Records that cannot be trusted are returned with
// bad set, so the caller can scan their range and the indexer drop them.
func readSegments(r pebble.Reader, shard uint32, user string, mbox uint64, uidValidity uint32) ([]segInfo, error) {
	p := schema.TextSegmentPrefix(shard, user, mbox)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: schema.PrefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("metadata: body index: %w", err)
	}
	var segs []segInfo
	var covered uint32 // last UID covered by a good segment, 0 before the first
	for ok := it.First(); ok; ok = it.Next() {
		if len(it.Key()) != len(p)+4 {
			continue // not a directory key of this layout
		}
		start, _ := schema.TextSegmentStart(it.Key())
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return nil, fmt.Errorf("metadata: body index: %w", err)
		}
		s := segInfo{start: start}
		s.rec, err = schema.DecodeTextSegment(v)
		s.bad = err != nil || s.rec.UIDValidity != uidValidity || s.rec.End < start || start == 0 || start <= covered
		if !s.bad {
			covered = s.rec.End
		}
		segs = append(segs, s)
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("metadata: body index: %w", err)
	}
	return segs, nil
}

// liveUIDs returns up to limit UIDs (limit <= 0: all) of the messages of
// a mailbox in [lo, hi], ascending, reading only the keys of the message
// state table.
func liveUIDs(r pebble.Reader, shard uint32, user string, mbox uint64, lo, hi uint32, limit int) ([]uint32, error) {
	p := schema.MailboxPrefix(shard, schema.TableMsgState, user, mbox)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: schema.MsgStateKey(shard, user, mbox, lo), UpperBound: schema.PrefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("metadata: body index: %w", err)
	}
	var out []uint32
	for ok := it.First(); ok && (limit <= 0 || len(out) < limit); ok = it.Next() {
		uid, err := schema.UIDFromKey(it.Key())
		if err != nil || uid > hi {
			break
		}
		out = append(out, uid)
	}
	if err := it.Close(); err != nil {
		return nil, fmt.Errorf("metadata: body index: %w", err)
	}
	return out, nil
}
