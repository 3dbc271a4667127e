package schema

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// buildQuotaUsage is the migration from version 2 to 3: a quota record
// (no limits) for every user, whose usage is the sum of the Size and
// Messages of the user's mailbox records (which every change keeps exact).
func buildQuotaUsage(db *pebble.DB, b *pebble.Batch) error {
	shards, found, err := getU32(db, ShardsKey())
	if err != nil {
		return err
	}
	if !found {
		return nil
	}
	for shard := uint32(0); shard < shards; shard++ {
		if err := quotaShard(db, b, shard); err != nil {
			return err
		}
	}
	return nil
}

func quotaShard(db *pebble.DB, b *pebble.Batch, shard uint32) error {
	usage := map[string]*QuotaRecord{}
	var users []string
	err := scanTable(db, shard, TableUser, func(k, _ []byte) error {
		_, user, err := UserFromKey(k)
		if err == nil {
			usage[user] = &QuotaRecord{}
			users = append(users, user)
		}
		return err
	})
	if err != nil {
		return err
	}
	err = scanTable(db, shard, TableMailbox, func(k, v []byte) error {
		user, err := userOfMailboxKey(k)
		if err != nil {
			return err
		}
		mb, err := DecodeMailboxRecord(v)
		if err != nil {
			return fmt.Errorf("mailbox of %q: %w", user, err)
		}
		if q := usage[user]; q != nil {
			q.UsedBytes += mb.Size
			q.UsedMessages += uint64(mb.Messages)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := b.Set(QuotaKey(shard, u), usage[u].Encode(), nil); err != nil {
			return err
		}
	}
	return nil
}

// userOfMailboxKey extracts the user of a mailbox-table key
// [shard][table][user 0][mbox u64].
func userOfMailboxKey(k []byte) (string, error) {
	if len(k) < 5+1+8 || k[len(k)-9] != 0 {
		return "", fmt.Errorf("%w: mailbox key %x", ErrCorrupt, k)
	}
	return string(k[5 : len(k)-9]), nil
}

// scanTable calls fn for every key of table t in shard.
func scanTable(db *pebble.DB, shard uint32, t byte, fn func(k, v []byte) error) error {
	it, err := db.NewIter(&pebble.IterOptions{
		LowerBound: ShardTableStart(shard, t),
		UpperBound: ShardTableStart(shard, t+1),
	})
	if err != nil {
		return err
	}
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return errors.Join(err, it.Close())
		}
		if err := fn(it.Key(), v); err != nil {
			return errors.Join(err, it.Close())
		}
	}
	return it.Close()
}
