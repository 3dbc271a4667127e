package state

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/schema"
)

// Publisher receives the events of every committed change, after the commit.
type Publisher interface {
	Publish(user string, events ...hub.Event)
}

// Store applies commands to a Pebble database. It is safe for concurrent use.
type Store struct {
	db     *pebble.DB
	shards uint32
	pub    Publisher
	seed   maphash.Seed
	locks  [64]sync.Mutex // per-user writer serialisation, striped
	cache  *stateCache    // decoded states of searched mailboxes
}

// New returns a Store over db, whose shard count is shards. pub may be nil.
func New(db *pebble.DB, shards uint32, pub Publisher) *Store {
	return &Store{db: db, shards: shards, pub: pub, seed: maphash.MakeSeed(), cache: newStateCache(DefaultStateCacheMessages)}
}

// Invalidate forgets what the Store keeps in memory of the database's
// contents. The owner calls it after writing to the database other than
// through the Store (a shard received from another node, or dropped).
func (s *Store) Invalidate() { s.cache.invalidate() }

// reader is what both an indexed batch and a snapshot offer.
type reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// txn is one command being applied: reads see committed state plus the
// command's own writes (an indexed batch).
type txn struct {
	b      *pebble.Batch
	shard  uint32
	user   string
	events []hub.Event
}

// view is a consistent read-only view of one user.
type view struct {
	r     reader
	shard uint32
	user  string
}

func (s *Store) shardOf(user string) uint32 { return base.ShardOf(user, s.shards) }

// update applies fn to user under the user's writer lock and commits the
// batch with fsync, then publishes the events fn recorded.
func (s *Store) update(user string, fn func(t *txn) error) error {
	mu := &s.locks[maphash.String(s.seed, user)%uint64(len(s.locks))]
	mu.Lock()
	defer mu.Unlock()
	t := &txn{b: s.db.NewIndexedBatch(), shard: s.shardOf(user), user: user}
	defer t.b.Close()
	if err := fn(t); err != nil {
		return err
	}
	if t.b.Empty() {
		return nil
	}
	if err := t.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("state: commit: %w", err)
	}
	if s.pub != nil && len(t.events) > 0 {
		s.pub.Publish(user, t.events...)
	}
	return nil
}

// read runs fn over a snapshot of user's state.
func (s *Store) read(user string, fn func(v *view) error) error {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	return fn(&view{r: snap, shard: s.shardOf(user), user: user})
}

func (t *txn) view() *view { return &view{r: t.b, shard: t.shard, user: t.user} }

func (t *txn) set(k, v []byte) error { return t.b.Set(k, v, nil) }
func (t *txn) del(k []byte) error    { return t.b.Delete(k, nil) }

// get returns a copy of the value of k, or found=false.
func get(r reader, k []byte) (v []byte, found bool, err error) {
	val, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state: get: %w", err)
	}
	defer closer.Close()
	return append([]byte(nil), val...), true, nil
}

// scan calls fn for every key in [lo, hi) in order until fn returns false.
// Key and value are only valid during the call.
func scan(r reader, lo, hi []byte, fn func(k, v []byte) (bool, error)) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("state: iter: %w", err)
	}
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return err
		}
		more, err := fn(it.Key(), v)
		if err != nil {
			it.Close()
			return err
		}
		if !more {
			break
		}
	}
	return it.Close()
}

func (t *txn) publish(e hub.Event) { t.events = append(t.events, e) }

// userRecord reads the user's record, ErrNoSuchUser if none.
func (v *view) userRecord() (schema.UserRecord, error) {
	b, ok, err := get(v.r, schema.UserKey(v.shard, v.user))
	if err != nil {
		return schema.UserRecord{}, err
	}
	if !ok {
		return schema.UserRecord{}, fmt.Errorf("state: user %q: %w", v.user, base.ErrNoSuchUser)
	}
	return schema.DecodeUserRecord(b)
}

func (t *txn) putUser(r *schema.UserRecord) error {
	return t.set(schema.UserKey(t.shard, t.user), r.Encode())
}

// mailbox reads a mailbox record by id, ErrNoSuchMailbox if none. A
// missing user reads as a missing mailbox only after the user check.
func (v *view) mailbox(id uint64) (schema.MailboxRecord, error) {
	b, ok, err := get(v.r, schema.MailboxKey(v.shard, v.user, id))
	if err != nil {
		return schema.MailboxRecord{}, err
	}
	if !ok {
		if _, uerr := v.userRecord(); uerr != nil {
			return schema.MailboxRecord{}, uerr
		}
		return schema.MailboxRecord{}, fmt.Errorf("state: mailbox id %d: %w", id, base.ErrNoSuchMailbox)
	}
	return schema.DecodeMailboxRecord(b)
}

// mailboxID resolves a canonical name, ErrNoSuchMailbox if none.
func (v *view) mailboxID(name string) (uint64, bool, error) {
	b, ok, err := get(v.r, schema.MailboxNameKey(v.shard, v.user, name))
	if err != nil || !ok {
		return 0, false, err
	}
	id, err := schema.DecodeU64(b)
	return id, err == nil, err
}

func (t *txn) putMailbox(id uint64, r *schema.MailboxRecord) error {
	return t.set(schema.MailboxKey(t.shard, t.user, id), r.Encode())
}
