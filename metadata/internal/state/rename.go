package state

import (
	"fmt"
	"hash/maphash"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/schema"
)

// LogoutMailbox is the hub event mailbox id that means "end every session
// of the user" (Admin.Logout, RenameUser). Mailbox ids are allocated from 1
// upwards one at a time, so this one is never a real mailbox; the hub keeps
// it apart from mailbox events because it coalesces per mailbox id.
const LogoutMailbox = ^uint64(0)

// RenameUser moves every key of user from to the name to, which may hash
// to another shard of this store, in one synced batch, then tells the old
// name's subscribers to log out (their sessions carry the old name).
// ErrNoSuchUser if from does not exist, ErrUserExists if to does.
//
// The whole user goes through one batch: atomic, at the price of holding
// the user's keys (message meta included) in memory for the commit.
func (s *Store) RenameUser(from, to string) error {
	defer s.cache.invalidate() // the states move to other keys
	if err := ValidateUser(from); err != nil {
		return err
	}
	if err := ValidateUser(to); err != nil {
		return err
	}
	if from == to {
		return fmt.Errorf("state: rename %q to itself: %w", from, base.ErrInvalidArgument)
	}
	unlock := s.lockPair(from, to)
	defer unlock()
	oldShard, newShard := s.shardOf(from), s.shardOf(to)
	snap := s.db.NewSnapshot()
	defer snap.Close()
	if _, err := (&view{r: snap, shard: oldShard, user: from}).userRecord(); err != nil {
		return err
	}
	if _, err := (&view{r: snap, shard: newShard, user: to}).userRecord(); err == nil {
		return fmt.Errorf("state: user %q: %w", to, base.ErrUserExists)
	} else if !isNoSuchUser(err) {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, tab := range schema.UserTables {
		oldP := schema.UserPrefix(oldShard, tab, from)
		newP := schema.UserPrefix(newShard, tab, to)
		err := scan(snap, oldP, schema.PrefixEnd(oldP), func(k, v []byte) (bool, error) {
			nk := append(append([]byte(nil), newP...), k[len(oldP):]...)
			return true, b.Set(nk, v, nil)
		})
		if err != nil {
			return fmt.Errorf("state: rename user: %w", err)
		}
		if err := b.DeleteRange(oldP, schema.PrefixEnd(oldP), nil); err != nil {
			return fmt.Errorf("state: rename user: %w", err)
		}
	}
	// Derived data is not moved: it is rebuilt under the new name.
	for _, tab := range schema.DerivedTables {
		oldP := schema.UserPrefix(oldShard, tab, from)
		if err := b.DeleteRange(oldP, schema.PrefixEnd(oldP), nil); err != nil {
			return fmt.Errorf("state: rename user: %w", err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("state: commit: %w", err)
	}
	if s.pub != nil {
		s.pub.Publish(from, hub.Event{MailboxID: LogoutMailbox})
		s.pub.Publish(to, hub.Event{MailboxesChanged: true})
	}
	return nil
}

// lockPair takes the writer locks of two users in stripe order (once when
// they share a stripe), so that two renames never deadlock.
func (s *Store) lockPair(a, b string) func() {
	i := maphash.String(s.seed, a) % uint64(len(s.locks))
	j := maphash.String(s.seed, b) % uint64(len(s.locks))
	if i > j {
		i, j = j, i
	}
	s.locks[i].Lock()
	if j != i {
		s.locks[j].Lock()
	}
	return func() {
		if j != i {
			s.locks[j].Unlock()
		}
		s.locks[i].Unlock()
	}
}
