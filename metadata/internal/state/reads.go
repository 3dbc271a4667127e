package state

import (
	"errors"
	"fmt"
	"sort"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/internal/headerfields"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Messages calls fn for every message of the set (all messages when set is
// nil) with modseq > changedSince, ascending by UID, from one consistent
// snapshot. Unless meta is NoMeta each record carries its MessageMeta with
// the selected fields decoded. Records are owned by fn. ErrNoSuchMailbox if
// the mailbox does not exist.
func (s *Store) Messages(user string, mbox uint64, set *metadatapb.UidSet, meta MetaFields, changedSince uint64,
	fn func(*metadatapb.MessageRecord) error) error {
	return s.MessagesRead(user, mbox, set, Read{Meta: meta, ChangedSince: changedSince}, fn)
}

// Read says what MessagesRead reads of each message besides its state.
type Read struct {
	Meta MetaFields // the meta fields to return; NoMeta: none
	// Raw leaves the selected meta fields encoded, in MessageRecord.MetaRaw
	// (a copy the record owns), instead of decoded into Meta: a FETCH
	// passes them on to the frontend without decoding and encoding them
	// again.
	Raw          bool
	ChangedSince uint64 // only messages with a greater modseq
	// Headers are top-level header sections to answer, in order, in
	// MessageRecord.HeaderSections, filtered from the stored header
	// (headerfields.Filter; FetchRequest.header_filters).
	Headers []*metadatapb.HeaderFilter
}

// MessagesRead is Messages with r saying what is read.
func (s *Store) MessagesRead(user string, mbox uint64, set *metadatapb.UidSet, r Read,
	fn func(*metadatapb.MessageRecord) error) error {
	ranges := allUIDs
	if set != nil {
		ranges = normalize(set)
	}
	epoch := s.cache.epoch.Load() // before the snapshot (stateCache)
	return s.read(user, func(v *view) error {
		mb, err := v.mailbox(mbox)
		if err != nil {
			return err
		}
		cached, err := s.cachedStates(v, mbox, stampOf(epoch, mb), false)
		if err != nil {
			return err
		}
		var scratch []byte
		var sections sectionArena
		recs := recordAlloc{first: blockFor(ranges)}
		filters := compileHeaders(r.Headers)
		// Header sections naming only list fields are answered from the
		// list header; a message stored without one falls back to its
		// meta.
		var listIt *stepIter
		if listed(filters) {
			it, err := v.mailboxIter(schema.TableMsgListHeader, mbox)
			if err != nil {
				return err
			}
			defer it.Close()
			listIt = it
		}
		metas := metaReader{v: v, mbox: mbox}
		defer metas.close()
		return v.eachState(cached, mbox, ranges, func(uid uint32, st schema.MsgState) (bool, error) {
			if st.ModSeq <= r.ChangedSince {
				return true, nil
			}
			rec := recs.next(uid, st)
			var val []byte
			if r.Meta != NoMeta {
				var err error
				if val, err = metas.get(uid); err != nil {
					return false, err
				}
				switch {
				case r.Raw:
					if rec.MetaRaw, scratch, err = filterMeta(val, r.Meta, scratch); err != nil {
						return false, fmt.Errorf("state: message %d meta: %w", uid, err)
					}
				default:
					if rec.Meta, scratch, err = decodeMeta(val, r.Meta, scratch); err != nil {
						return false, fmt.Errorf("state: message %d meta: %w", uid, err)
					}
				}
			}
			if len(filters) == 0 {
				return true, fn(rec)
			}
			var hdr []byte
			ok := false
			if listIt != nil && listIt.seek(schema.MsgListHeaderKey(v.shard, user, mbox, uid)) {
				stored, err := listIt.ValueAndErr()
				if err != nil {
					return false, err
				}
				hdr, ok = headerfields.FromList(stored)
			}
			if !ok {
				var err error
				if val == nil {
					if val, err = metas.get(uid); err != nil {
						return false, err
					}
				}
				if hdr, err = metaHeader(val); err != nil {
					return false, fmt.Errorf("state: message %d header: %w", uid, err)
				}
			}
			rec.HeaderSections = sections.filter(hdr, filters)
			return true, fn(rec)
		})
	})
}

// mailboxIter opens a stepIter over one mailbox's keys of a table.
func (v *view) mailboxIter(table byte, mbox uint64) (*stepIter, error) {
	p := schema.MailboxPrefix(v.shard, table, v.user, mbox)
	it, err := v.r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: schema.PrefixEnd(p)})
	if err != nil {
		return nil, fmt.Errorf("state: iter: %w", err)
	}
	return &stepIter{Iterator: it}, nil
}

// recordAlloc hands out records with their states from blocks: one
// allocation per block instead of two per message of a FETCH.
type recordAlloc struct {
	first  int // size of the first block (blockFor); later ones are recordBlock
	recs   []metadatapb.MessageRecord
	states []metadatapb.MessageState
}

// recordBlock is the number of records per block: a FETCH batch.
const recordBlock = 64

func (a *recordAlloc) next(uid uint32, st schema.MsgState) *metadatapb.MessageRecord {
	if len(a.recs) == 0 {
		n := recordBlock
		if a.first > 0 {
			n, a.first = a.first, 0
		}
		a.recs = make([]metadatapb.MessageRecord, n)
		a.states = make([]metadatapb.MessageState, n)
	}
	r, s := &a.recs[0], &a.states[0]
	a.recs, a.states = a.recs[1:], a.states[1:]
	s.Uid, s.Modseq, s.Flags = uid, st.ModSeq, flagList(st)
	r.State = s
	return r
}

// blockFor is the first record block of a read of ranges: as many
// records as the ranges can hold, up to recordBlock (a page of 50
// messages allocates 50).
func blockFor(ranges []uidRange) int {
	n := uint64(0)
	for _, r := range ranges {
		n += uint64(r.hi) - uint64(r.lo) + 1
		if n >= recordBlock {
			return recordBlock
		}
	}
	return max(int(n), 1)
}

// Changes returns what changed in a mailbox after since: messages added or
// whose flags changed (from the modseq index) and UIDs expunged (from the
// expunge log), both ascending by UID (RFC 7162 §3.1, §3.2.5.2). A mailbox
// that no longer exists is reported with MailboxGone, not an error.
//
// With ClaimRecent the messages that arrived since \Recent was last claimed
// are claimed for the caller, as Select does (RFC 3501 §2.3.2): that is a
// write, made only when there is something to claim.
func (s *Store) Changes(req *metadatapb.ChangesRequest) (*metadatapb.ChangesResponse, error) {
	resp := &metadatapb.ChangesResponse{}
	fill := func(v *view) (mb schema.MailboxRecord, ok bool, err error) {
		mb, err = v.mailbox(req.MailboxId)
		if errors.Is(err, base.ErrNoSuchMailbox) {
			resp.MailboxGone = true
			return mb, false, nil
		}
		if err != nil {
			return mb, false, err
		}
		resp.HighestModseq = mb.HighestModSeq
		resp.UidNext = mb.UIDNext
		if req.SinceModseq >= mb.HighestModSeq {
			return mb, true, nil
		}
		changed, err := v.modseqRange(schema.TableModSeq, req.MailboxId, req.SinceModseq)
		if err != nil {
			return mb, false, err
		}
		for _, uid := range changed {
			b, ok, err := get(v.r, schema.MsgStateKey(v.shard, v.user, req.MailboxId, uid))
			if err != nil {
				return mb, false, err
			}
			if !ok {
				return mb, false, fmt.Errorf("state: modseq index names missing message %d: %w", uid, schema.ErrCorrupt)
			}
			st, err := schema.DecodeMsgState(b)
			if err != nil {
				return mb, false, err
			}
			resp.Changed = append(resp.Changed, statePB(uid, st))
		}
		resp.Expunged, err = v.modseqRange(schema.TableExpunge, req.MailboxId, req.SinceModseq)
		return mb, err == nil, err
	}
	if !req.ClaimRecent {
		if err := s.read(req.User, func(v *view) error { _, _, err := fill(v); return err }); err != nil {
			return nil, err
		}
		return resp, nil
	}
	err := s.update(req.User, func(t *txn) error {
		v := t.view()
		mb, ok, err := fill(v)
		if err != nil || !ok || mb.FirstRecentUID >= mb.UIDNext {
			return err // nothing arrived since the last claim: no write
		}
		err = v.forEachState(req.MailboxId, []uidRange{{mb.FirstRecentUID, ^uint32(0)}}, func(uid uint32, _ schema.MsgState) (bool, error) {
			resp.RecentUids = append(resp.RecentUids, uid)
			return true, nil
		})
		if err != nil {
			return err
		}
		mb.FirstRecentUID = mb.UIDNext
		mb.Recent = 0
		return t.putMailbox(req.MailboxId, &mb)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// modseqRange returns the UIDs, ascending, of the entries of a
// (mailbox, modseq, uid) table with modseq > since.
func (v *view) modseqRange(table byte, mbox uint64, since uint64) ([]uint32, error) {
	p := schema.MailboxPrefix(v.shard, table, v.user, mbox)
	lo := schema.ModSeqKey(v.shard, v.user, mbox, since+1, 0)
	if table == schema.TableExpunge {
		lo = schema.ExpungeKey(v.shard, v.user, mbox, since+1, 0)
	}
	var uids []uint32
	err := scan(v.r, lo, schema.PrefixEnd(p), func(k, _ []byte) (bool, error) {
		_, uid, err := schema.ModSeqUIDFromKey(k)
		uids = append(uids, uid)
		return true, err
	})
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	return uids, err
}
