package state

import (
	"fmt"
	"hash/maphash"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
)

// allUserTables is every per-user table, derived ones included: what
// deleting a user removes.
func allUserTables() []byte {
	return append(append([]byte(nil), schema.UserTables...), schema.DerivedTables...)
}

// CommitDerived commits b, which must hold writes of derived tables only
// (schema.DerivedTables) for mailbox mbox of user, if that mailbox still
// exists with uidValidity. The check and the commit happen under the
// user's writer lock, so a derived write built from an older snapshot can
// never land after the deletion of its mailbox or user (which would leave
// orphaned keys, or keys a recreated mailbox would mistake for its own).
// It returns base.ErrNoSuchMailbox (or ErrNoSuchUser) and writes nothing
// otherwise.
//
// The commit is not synced: derived data lost in a crash is rebuilt, and
// Pebble applies a batch whole or not at all. The caller keeps ownership
// of b.
func (s *Store) CommitDerived(user string, mbox uint64, uidValidity uint32, b *pebble.Batch) error {
	mu := &s.locks[maphash.String(s.seed, user)%uint64(len(s.locks))]
	mu.Lock()
	defer mu.Unlock()
	v := &view{r: s.db, shard: s.shardOf(user), user: user}
	mb, err := v.mailbox(mbox)
	if err != nil {
		return err
	}
	if mb.UIDValidity != uidValidity {
		return fmt.Errorf("state: mailbox id %d has a new UIDVALIDITY: %w", mbox, base.ErrNoSuchMailbox)
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("state: commit derived: %w", err)
	}
	return nil
}
