package state

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// headerOnly selects MessageMeta.header alone, which Scan reads in place.
var headerOnly = MetaFieldsOf(metaFieldHeader)

// metaFieldHeader is the field number of MessageMeta.header.
const metaFieldHeader = 9

// metaHeader returns the header field of an encoded MessageMeta, aliasing
// raw. Like filterMeta it relies on proto.Marshal writing fields in
// ascending order: it stops past the header, before the MIME tree.
func metaHeader(raw []byte) ([]byte, error) {
	var hdr []byte
	for b := raw; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("meta tag: %w: %v", schema.ErrCorrupt, protowire.ParseError(n))
		}
		if num > metaFieldHeader {
			break
		}
		b = b[n:]
		if num == metaFieldHeader && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("meta header: %w: %v", schema.ErrCorrupt, protowire.ParseError(n))
			}
			hdr = v // the last occurrence wins, as in proto.Unmarshal
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, fmt.Errorf("meta field %d: %w: %v", num, schema.ErrCorrupt, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return hdr, nil
}

// ScanMsg is one message as Scan gives it: its state, with the size and
// dates kept there, and the selected fields of its meta.
type ScanMsg struct {
	UID    uint32
	ModSeq uint64
	Flags  []string // shared: do not modify (see flagList)
	Size   uint64
	Dates  schema.MsgDates
	// Digest is the header search digest when asked for; nil for a
	// message stored without one, which then has its header in Meta.
	Digest []byte
	Meta   *metadatapb.MessageMeta // nil when the selection is NoMeta
}

// Scan calls fn for every message of a mailbox (of set, when not nil),
// ascending by UID, from one
// snapshot: the read of SEARCH, SORT and THREAD. Flags, size and dates come
// from the state records alone, so a search by them never reads the much
// larger meta records; meta is read only for the selected fields. A state
// record without dates (written before schema version 4 and brought in
// raw, e.g. by a shard transfer from an older node) has them read from its
// meta. With digest, each message comes with its header search digest
// (search.Digest); one stored without a digest comes with its header
// instead. The ScanMsg, its Meta and Digest are reused between calls and
// may alias the store's memory: fn must not keep them.
func (s *Store) Scan(user string, mbox uint64, set *metadatapb.UidSet, meta MetaFields, digest bool, fn func(*ScanMsg) error) error {
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
		if meta == NoMeta && !digest {
			// States only: from the state cache, filled first.
			e, err := s.cachedStates(v, mbox, stampOf(epoch, mb), true)
			if err != nil {
				return err
			}
			if e != nil {
				return e.scan(ranges, fn)
			}
		}
		metas := metaReader{v: v, mbox: mbox}
		defer metas.close()
		var digestIt *stepIter
		if digest {
			if digestIt, err = v.mailboxIter(schema.TableMsgDigest, mbox); err != nil {
				return err
			}
			defer digestIt.Close()
		}
		var (
			m          ScanMsg
			scratch    []byte
			headerMeta metadatapb.MessageMeta
		)
		return v.forEachState(mbox, ranges, func(uid uint32, st schema.MsgState) (bool, error) {
			m = ScanMsg{UID: uid, ModSeq: st.ModSeq, Flags: flagList(st), Size: st.Size, Dates: st.Dates}
			fields := meta
			if digestIt != nil {
				// Digests are sorted like states, at most one per
				// message: step, and seek only on a gap.
				if digestIt.seek(schema.MsgDigestKey(v.shard, user, mbox, uid)) {
					var err error
					if m.Digest, err = digestIt.ValueAndErr(); err != nil {
						return false, err
					}
				}
				if m.Digest == nil {
					fields |= headerOnly // searched through its header
				}
			}
			if fields == NoMeta && st.HasDates {
				return true, fn(&m)
			}
			val, err := metas.get(uid)
			if err != nil {
				return false, err
			}
			if !st.HasDates {
				if m.Dates, err = schema.MetaDates(val); err != nil {
					return false, fmt.Errorf("state: message %d meta: %w", uid, err)
				}
			}
			switch fields {
			case NoMeta:
			case headerOnly:
				// Header searches: the header is read in place, valid
				// until fn returns, without a decode or a copy.
				hdr, err := metaHeader(val)
				if err != nil {
					return false, fmt.Errorf("state: message %d meta: %w", uid, err)
				}
				headerMeta.Header = hdr
				m.Meta = &headerMeta
			default:
				if m.Meta, scratch, err = decodeMeta(val, fields, scratch); err != nil {
					return false, fmt.Errorf("state: message %d meta: %w", uid, err)
				}
			}
			return true, fn(&m)
		})
	})
}

// cachedStates returns the mailbox's states from the state cache when it
// holds them as of st. Otherwise, with fill, it reads them all into the
// cache first (for reads that walk the whole mailbox anyway: SEARCH,
// SELECT); without, it returns nil (a FETCH of a few messages must not
// pay for reading all of them).
func (s *Store) cachedStates(v *view, mbox uint64, st stamp, fill bool) (*mailboxStates, error) {
	k := cacheKey{shard: v.shard, user: v.user, mbox: mbox}
	if e := s.cache.get(k, st); e != nil || !fill || int(st.messages) > s.cache.limit {
		return e, nil
	}
	e, err := v.loadStates(mbox, st)
	if err != nil {
		return nil, err
	}
	s.cache.put(k, e)
	return e, nil
}

// scan is Scan of states only, from cached states.
func (e *mailboxStates) scan(ranges []uidRange, fn func(*ScanMsg) error) error {
	var m ScanMsg
	return e.each(ranges, func(i int) (bool, error) {
		ms := &e.states[i]
		m = ScanMsg{UID: e.uids[i], ModSeq: ms.ModSeq, Flags: e.flags[i], Size: ms.Size, Dates: ms.Dates}
		return true, fn(&m)
	})
}

// loadStates reads every state of a mailbox, with dates read from the
// meta for records written without them.
func (v *view) loadStates(mbox uint64, st stamp) (*mailboxStates, error) {
	e := &mailboxStates{stamp: st}
	e.uids = make([]uint32, 0, st.messages)
	e.states = make([]schema.MsgState, 0, st.messages)
	e.flags = make([][]string, 0, st.messages)
	metas := metaReader{v: v, mbox: mbox}
	defer metas.close()
	err := v.forEachState(mbox, allUIDs, func(uid uint32, ms schema.MsgState) (bool, error) {
		if !ms.HasDates {
			val, err := metas.get(uid)
			if err != nil {
				return false, err
			}
			if ms.Dates, err = schema.MetaDates(val); err != nil {
				return false, fmt.Errorf("state: message %d meta: %w", uid, err)
			}
			ms.HasDates = true
		}
		e.uids = append(e.uids, uid)
		e.states = append(e.states, ms)
		e.flags = append(e.flags, flagList(ms))
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// metaReader reads the metas of one mailbox's messages in UID order, for
// a walk over its states: the iterator is opened at the first meta
// needed, and steps (stepIter) rather than seeks.
type metaReader struct {
	v    *view
	mbox uint64
	it   *stepIter
}

// get returns the encoded meta of uid, valid until the next call.
func (r *metaReader) get(uid uint32) ([]byte, error) {
	if r.it == nil {
		it, err := r.v.mailboxIter(schema.TableMsgMeta, r.mbox)
		if err != nil {
			return nil, err
		}
		r.it = it
	}
	if !r.it.seek(schema.MsgMetaKey(r.v.shard, r.v.user, r.mbox, uid)) {
		return nil, fmt.Errorf("state: message %d has no meta: %w", uid, schema.ErrCorrupt)
	}
	return r.it.ValueAndErr()
}

func (r *metaReader) close() {
	if r.it != nil {
		r.it.Close()
	}
}

// stepIter reads the keys of a table that is sorted like the states being
// walked (metas, digests: at most one per message): the wanted key is
// usually the next one, so seek steps there and seeks only on a gap (the
// first message, a UID set with holes, a message without an entry).
type stepIter struct {
	*pebble.Iterator
	positioned bool
}

// seek positions the iterator on k and reports whether k exists.
func (it *stepIter) seek(k []byte) bool {
	found := it.positioned && it.Next() && string(it.Key()) == string(k)
	if !found {
		found = it.SeekGE(k) && string(it.Key()) == string(k)
	}
	it.positioned = true
	return found
}
