package state

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/internal/headerfields"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/metadata/internal/search"
)

// msg is a message read for a write command.
type msg struct {
	uid   uint32
	state schema.MsgState
	meta  []byte // raw MessageMeta, when asked for
}

// forEachState calls fn for every message of mbox whose UID is in ranges,
// in ascending UID order, until fn returns false.
func (v *view) forEachState(mbox uint64, ranges []uidRange, fn func(uid uint32, st schema.MsgState) (bool, error)) error {
	if len(ranges) == 0 {
		return nil
	}
	p := schema.MailboxPrefix(v.shard, schema.TableMsgState, v.user, mbox)
	it, err := v.r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: schema.PrefixEnd(p)})
	if err != nil {
		return fmt.Errorf("state: iter: %w", err)
	}
	err = func() error {
		for _, r := range ranges {
			for valid := it.SeekGE(schema.MsgStateKey(v.shard, v.user, mbox, r.lo)); valid; valid = it.Next() {
				uid, err := schema.UIDFromKey(it.Key())
				if err != nil {
					return err
				}
				if uid > r.hi {
					break
				}
				val, err := it.ValueAndErr()
				if err != nil {
					return err
				}
				st, err := schema.DecodeMsgState(val)
				if err != nil {
					return fmt.Errorf("state: message %d: %w", uid, err)
				}
				more, err := fn(uid, st)
				if err != nil || !more {
					return err
				}
			}
		}
		return nil
	}()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return err
}

// collect reads the messages of mbox in ranges (and their raw meta).
func (v *view) collect(mbox uint64, ranges []uidRange, withMeta bool) ([]msg, error) {
	var out []msg
	err := v.forEachState(mbox, ranges, func(uid uint32, st schema.MsgState) (bool, error) {
		out = append(out, msg{uid: uid, state: st})
		return true, nil
	})
	if err != nil || !withMeta {
		return out, err
	}
	for i := range out {
		b, ok, err := get(v.r, schema.MsgMetaKey(v.shard, v.user, mbox, out[i].uid))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("state: message %d has no meta: %w", out[i].uid, schema.ErrCorrupt)
		}
		out[i].meta = b
	}
	return out, nil
}

// writeMessage writes a message's state, its modseq index entry and, when
// meta is not nil (a new message, not a flag change), its meta and blob
// index entry.
func (t *txn) writeMessage(mbox uint64, uid uint32, st schema.MsgState, meta []byte) error {
	if err := t.set(schema.MsgStateKey(t.shard, t.user, mbox, uid), st.Encode()); err != nil {
		return err
	}
	if meta != nil {
		if err := t.set(schema.MsgMetaKey(t.shard, t.user, mbox, uid), meta); err != nil {
			return err
		}
		hdr, err := metaHeader(meta)
		if err != nil {
			return err
		}
		if err := t.set(schema.MsgDigestKey(t.shard, t.user, mbox, uid), search.Digest(hdr)); err != nil {
			return err
		}
		if err := t.set(schema.MsgListHeaderKey(t.shard, t.user, mbox, uid), headerfields.ListHeader(hdr)); err != nil {
			return err
		}
		k, err := t.blobIndexKey(mbox, uid, meta)
		if err != nil {
			return err
		}
		if err := t.set(k, nil); err != nil {
			return err
		}
	}
	return t.set(schema.ModSeqKey(t.shard, t.user, mbox, st.ModSeq, uid), nil)
}

// removeMessage deletes a message (with its blob index entry, found from
// its meta) and logs its expunge at modseq.
func (t *txn) removeMessage(mbox uint64, uid uint32, st schema.MsgState, modseq uint64) error {
	metaKey := schema.MsgMetaKey(t.shard, t.user, mbox, uid)
	meta, ok, err := get(t.b, metaKey)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("state: message %d has no meta: %w", uid, schema.ErrCorrupt)
	}
	idx, err := t.blobIndexKey(mbox, uid, meta)
	if err != nil {
		return err
	}
	for _, k := range [][]byte{
		schema.MsgStateKey(t.shard, t.user, mbox, uid),
		metaKey,
		idx,
		schema.ModSeqKey(t.shard, t.user, mbox, st.ModSeq, uid),
		schema.MsgDigestKey(t.shard, t.user, mbox, uid),
		schema.MsgListHeaderKey(t.shard, t.user, mbox, uid),
	} {
		if err := t.del(k); err != nil {
			return err
		}
	}
	return t.set(schema.ExpungeKey(t.shard, t.user, mbox, modseq, uid), nil)
}

// blobIndexKey is the blob index entry of the message uid with raw meta.
func (t *txn) blobIndexKey(mbox uint64, uid uint32, meta []byte) ([]byte, error) {
	blob, err := schema.BlobIDFromMeta(meta)
	if err != nil {
		return nil, fmt.Errorf("state: message %d: %w", uid, err)
	}
	return schema.BlobIndexKey(t.shard, t.user, mbox, blob, uid)
}

// uidOfBlob returns the lowest UID of a message of mbox whose body is
// blobID, found=false if there is none.
func (v *view) uidOfBlob(mbox uint64, blobID string) (uid uint32, found bool, err error) {
	p, err := schema.BlobIndexPrefix(v.shard, v.user, mbox, blobID)
	if err != nil {
		return 0, false, err
	}
	err = scan(v.r, p, schema.PrefixEnd(p), func(k, _ []byte) (bool, error) {
		uid, err = schema.UIDFromKey(k)
		found = err == nil
		return false, err
	})
	return uid, found, err
}

// count adds (sign +1) or removes (sign -1) a message from the counters.
func count(r *schema.MailboxRecord, uid uint32, st schema.MsgState, sign int) {
	add := func(c *uint32, yes bool) {
		if yes {
			*c = uint32(int64(*c) + int64(sign))
		}
	}
	add(&r.Messages, true)
	add(&r.Unseen, st.System&schema.FlagSeen == 0)
	add(&r.Deleted, st.System&schema.FlagDeleted != 0)
	add(&r.Recent, uid >= r.FirstRecentUID)
	if sign > 0 {
		r.Size += st.Size
	} else {
		r.Size -= st.Size
	}
}

// allocUID hands out the next UID of r; UIDs are never reused (RFC 9051
// §2.3.1.1), so a mailbox that used them all is full.
func allocUID(r *schema.MailboxRecord) (uint32, error) {
	if r.UIDNext == 0 || r.UIDNext == ^uint32(0) {
		return 0, fmt.Errorf("state: mailbox %q has used every UID: %w", r.Name, base.ErrOverQuota)
	}
	uid := r.UIDNext
	r.UIDNext++
	return uid, nil
}

// withSaveDate returns raw meta with its save date replaced (RFC 8514: a
// copy is saved when it is copied).
func withSaveDate(raw []byte, save int64) ([]byte, error) {
	var m metaPB
	if err := proto.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("state: meta: %w: %v", schema.ErrCorrupt, err)
	}
	m.SaveDate = save
	return proto.Marshal(&m)
}
