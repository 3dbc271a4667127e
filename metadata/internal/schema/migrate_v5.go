package schema

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/metadata/internal/objectid"
	"github.com/postbus/postbus/proto/metadatapb"
)

// migrationKeyContext tells a migrated user's object key apart from one
// made at creation (objectid.UserKey).
const migrationKeyContext = "schema 5 migration"

// assignObjectIDs is the migration from version 4 to 5 (RFC 8474): every
// user gets an object key, every message an EMAILID and a THREADID, given
// in (mailbox id, UID) order, that is roughly arrival order, exactly as
// APPEND would have, and the thread table is filled.
//
// Unlike the earlier migrations it rewrites message meta, which can be
// large, so it commits one synced batch per user instead of adding to b
// (which then carries only the version bump). A user's batch is atomic and
// a user whose record already has a key is skipped, so a migration cut
// short by a crash resumes where it stopped.
func assignObjectIDs(db *pebble.DB, _ *pebble.Batch) error {
	shards, found, err := getU32(db, ShardsKey())
	if err != nil || !found {
		return err
	}
	for shard := uint32(0); shard < shards; shard++ {
		var users []string
		err := scanTable(db, shard, TableUser, func(k, _ []byte) error {
			_, user, err := UserFromKey(k)
			users = append(users, user)
			return err
		})
		if err != nil {
			return err
		}
		for _, u := range users {
			if err := objectIDsOfUser(db, shard, u); err != nil {
				return fmt.Errorf("user %q: %w", u, err)
			}
		}
	}
	return nil
}

func objectIDsOfUser(db *pebble.DB, shard uint32, user string) error {
	b := db.NewIndexedBatch()
	defer b.Close()
	if err := UpgradeUserObjectIDs(b, shard, user); err != nil {
		return err
	}
	if b.Empty() {
		return nil // done before a crash
	}
	return b.Commit(pebble.Sync)
}

// UpgradeUserObjectIDs gives a user written by schema 3 (no object key)
// its RFC 8474 ids in the indexed batch b, reading through b: an object
// key, the EMAILID and THREADID of every message in (mailbox, UID) order,
// and the thread table. A user that has a key is left alone. The migration
// uses it, and so does ImportUser for a user exported by an older node.
func UpgradeUserObjectIDs(b *pebble.Batch, shard uint32, user string) error {
	raw, closer, err := b.Get(UserKey(shard, user))
	if err != nil {
		return err
	}
	rec, err := DecodeUserRecord(raw)
	closer.Close()
	if err != nil {
		return err
	}
	if len(rec.ObjectKey) > 0 {
		return nil
	}
	rec.ObjectKey = objectid.UserKey(user, rec.PasswordHash, migrationKeyContext)
	if err := b.Set(UserKey(shard, user), rec.Encode(), nil); err != nil {
		return err
	}
	lookup := ThreadLookup(b, shard, user)
	p := UserPrefix(shard, TableMsgMeta, user)
	// A batch iterator sees the batch as it was when created: the metas
	// rewritten below do not disturb it.
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: PrefixEnd(p)})
	if err != nil {
		return err
	}
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return errors.Join(err, it.Close())
		}
		var m metadatapb.MessageMeta
		if err := proto.Unmarshal(v, &m); err != nil {
			return errors.Join(fmt.Errorf("%w: meta %x: %v", ErrCorrupt, it.Key(), err), it.Close())
		}
		if err := AssignObjectIDs(b, shard, user, rec.ObjectKey, &m, lookup); err != nil {
			return errors.Join(err, it.Close())
		}
		nv, err := proto.Marshal(&m)
		if err != nil {
			return errors.Join(err, it.Close())
		}
		if err := b.Set(append([]byte(nil), it.Key()...), nv, nil); err != nil {
			return errors.Join(err, it.Close())
		}
	}
	return it.Close()
}
