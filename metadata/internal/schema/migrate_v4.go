package schema

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/encoding/protowire"
)

// MessageMeta field numbers of the dates (proto/metadata.proto). Read here
// with protowire so that the schema package does not depend on the
// generated types for one migration.
const (
	metaFieldInternalDate = 3
	metaFieldInternalZone = 4
	metaFieldSaveDate     = 5
	metaFieldSentDate     = 11
	metaFieldSentZone     = 12
)

// MetaDates reads the dates of an encoded MessageMeta.
func MetaDates(meta []byte) (MsgDates, error) {
	var d MsgDates
	for len(meta) > 0 {
		num, typ, n := protowire.ConsumeTag(meta)
		if n < 0 {
			return d, fmt.Errorf("%w: meta tag: %v", ErrCorrupt, protowire.ParseError(n))
		}
		meta = meta[n:]
		if typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(meta)
			if n < 0 {
				return d, fmt.Errorf("%w: meta field %d: %v", ErrCorrupt, num, protowire.ParseError(n))
			}
			switch num { // int64 and int32 are two's complement varints
			case metaFieldInternalDate:
				d.Internal = int64(v)
			case metaFieldInternalZone:
				d.InternalZone = int32(v)
			case metaFieldSaveDate:
				d.Save = int64(v)
			case metaFieldSentDate:
				d.Sent = int64(v)
			case metaFieldSentZone:
				d.SentZone = int32(v)
			}
			meta = meta[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, meta)
		if n < 0 {
			return d, fmt.Errorf("%w: meta field %d: %v", ErrCorrupt, num, protowire.ParseError(n))
		}
		meta = meta[n:]
	}
	return d, nil
}

// addStateDates is the migration from version 3 to 4: every message state
// record gets a copy of its message's dates (MsgState.Dates), so that
// SEARCH by date no longer reads the meta records.
func addStateDates(db *pebble.DB, b *pebble.Batch) error {
	shards, found, err := getU32(db, ShardsKey())
	if err != nil || !found {
		return err
	}
	for shard := uint32(0); shard < shards; shard++ {
		err := scanTable(db, shard, TableMsgState, func(k, v []byte) error {
			st, err := DecodeMsgState(v)
			if err != nil {
				return fmt.Errorf("state %x: %w", k, err)
			}
			if st.HasDates {
				return nil
			}
			mk := append([]byte(nil), k...)
			mk[4] = TableMsgMeta // same key in the meta table: [shard u32][table]...
			meta, closer, err := db.Get(mk)
			if err != nil {
				return fmt.Errorf("meta of state %x: %w", k, err)
			}
			st.Dates, err = MetaDates(meta)
			closer.Close()
			if err != nil {
				return err
			}
			st.HasDates = true
			return b.Set(k, st.Encode(), nil)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
