package schema

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// buildBlobIndex is the migration from version 1 to 2: one blob index entry
// for every message meta record of every shard. The whole index goes into
// the migration's one batch, which Pebble handles for stores of millions of
// messages (a few dozen octets per entry).
func buildBlobIndex(db *pebble.DB, b *pebble.Batch) error {
	shards, found, err := getU32(db, ShardsKey())
	if err != nil {
		return err
	}
	if !found {
		return nil // no shard count: nothing was ever written
	}
	for shard := uint32(0); shard < shards; shard++ {
		if err := indexShard(db, b, shard); err != nil {
			return err
		}
	}
	return nil
}

func indexShard(db *pebble.DB, b *pebble.Batch, shard uint32) error {
	it, err := db.NewIter(&pebble.IterOptions{
		LowerBound: ShardTableStart(shard, TableMsgMeta),
		UpperBound: ShardTableStart(shard, TableMsgMeta+1),
	})
	if err != nil {
		return err
	}
	for valid := it.First(); valid; valid = it.Next() {
		val, err := it.ValueAndErr()
		if err != nil {
			return errors.Join(err, it.Close())
		}
		_, user, mbox, uid, err := MsgKeyParts(it.Key())
		if err != nil {
			return errors.Join(err, it.Close())
		}
		blob, err := BlobIDFromMeta(val)
		if err != nil {
			return errors.Join(fmt.Errorf("message %q/%d/%d: %w", user, mbox, uid, err), it.Close())
		}
		k, err := BlobIndexKey(shard, user, mbox, blob, uid)
		if err != nil {
			return errors.Join(err, it.Close())
		}
		if err := b.Set(k, nil, nil); err != nil {
			return errors.Join(err, it.Close())
		}
	}
	return it.Close()
}
