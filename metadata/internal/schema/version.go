package schema

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Version is the schema version this code writes. 2 added the blob index
// (table 0x18), 3 the quota record (table 0x19), 4 the dates in message
// state records (MsgState.Dates), 5 the RFC 8474 object ids (user object
// key, EMAILID/THREADID in message meta, thread table 0x1A).
const Version uint32 = 5

// ErrNewerVersion reports a store written by a newer postbus.
var ErrNewerVersion = errors.New("schema: store has a newer schema version")

// Migration upgrades a store from version From to From+1 by adding writes to
// b; the version key is updated by Migrate in the same batch.
type Migration struct {
	From  uint32
	Apply func(db *pebble.DB, b *pebble.Batch) error
}

// migrations is the hook where upgrades are registered, in order.
var migrations = []Migration{
	{From: 1, Apply: buildBlobIndex},
	{From: 2, Apply: buildQuotaUsage},
	{From: 3, Apply: addStateDates},
	{From: 4, Apply: assignObjectIDs},
}

// Migrate initialises an empty store at Version, or upgrades an older one
// one version at a time (each step one synced batch), and returns the
// version found before. A store newer than Version is refused.
func Migrate(db *pebble.DB) (uint32, error) {
	return migrate(db, migrations)
}

func migrate(db *pebble.DB, steps []Migration) (uint32, error) {
	cur, found, err := getU32(db, VersionKey())
	if err != nil {
		return 0, err
	}
	if !found {
		if err := db.Set(VersionKey(), EncodeU32(Version), pebble.Sync); err != nil {
			return 0, fmt.Errorf("schema: write version: %w", err)
		}
		return 0, nil
	}
	before := cur
	if cur > Version {
		return before, fmt.Errorf("%w: %d > %d", ErrNewerVersion, cur, Version)
	}
	for cur < Version {
		var step *Migration
		for i := range steps {
			if steps[i].From == cur {
				step = &steps[i]
			}
		}
		if step == nil {
			return before, fmt.Errorf("schema: no migration from version %d", cur)
		}
		b := db.NewBatch()
		if err := step.Apply(db, b); err != nil {
			b.Close()
			return before, fmt.Errorf("schema: migrate from %d: %w", cur, err)
		}
		if err := b.Set(VersionKey(), EncodeU32(cur+1), nil); err != nil {
			b.Close()
			return before, err
		}
		if err := b.Commit(pebble.Sync); err != nil {
			b.Close()
			return before, fmt.Errorf("schema: commit migration from %d: %w", cur, err)
		}
		b.Close()
		cur++
	}
	return before, nil
}

// Shards returns the persisted shard count, writing want (or
// defaultShards when want is 0) on first use. A different non-zero want is
// an error.
func Shards(db *pebble.DB, want, defaultShards uint32) (uint32, error) {
	got, found, err := getU32(db, ShardsKey())
	if err != nil {
		return 0, err
	}
	if found {
		if want != 0 && want != got {
			return 0, fmt.Errorf("schema: store has %d shards, options say %d", got, want)
		}
		return got, nil
	}
	if want == 0 {
		want = defaultShards
	}
	if want == 0 || want >= MaxShards {
		return 0, fmt.Errorf("schema: invalid shard count %d", want)
	}
	if err := db.Set(ShardsKey(), EncodeU32(want), pebble.Sync); err != nil {
		return 0, fmt.Errorf("schema: write shards: %w", err)
	}
	return want, nil
}

func getU32(db *pebble.DB, key []byte) (uint32, bool, error) {
	v, closer, err := db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	defer closer.Close()
	n, err := DecodeU32(v)
	return n, true, err
}
