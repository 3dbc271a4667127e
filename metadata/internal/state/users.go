package state

import (
	"fmt"
	"sort"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/objectid"
	"github.com/postbus/postbus/metadata/internal/schema"
)

// defaultMailboxes are created with every user, all subscribed: INBOX and
// the RFC 6154 special-use mailboxes clients look for.
var defaultMailboxes = []struct{ name, use string }{
	{Inbox, ""},
	{"Drafts", `\Drafts`},
	{"Sent", `\Sent`},
	{"Trash", `\Trash`},
	{"Junk", `\Junk`},
	{"Archive", `\Archive`},
}

// CreateUser creates user with an already computed password hash (hashing
// salts with randomness, so it happens before apply), INBOX and the default
// special-use mailboxes, all subscribed. now (unix seconds) seeds
// UIDVALIDITY. The user's RFC 8474 object key is derived from the name,
// the hash and now (objectid.UserKey), so apply reads no random source.
// ErrUserExists if the user exists.
func (s *Store) CreateUser(user, passwordHash string, now int64) error {
	if err := ValidateUser(user); err != nil {
		return err
	}
	return s.update(user, func(t *txn) error {
		if _, err := t.view().userRecord(); err == nil {
			return fmt.Errorf("state: user %q: %w", user, base.ErrUserExists)
		}
		u := schema.UserRecord{
			PasswordHash:  passwordHash,
			NextMailboxID: 1,
			ObjectKey:     objectid.UserKey(user, passwordHash, createdKeyContext(now)),
		}
		for _, m := range defaultMailboxes {
			if _, err := t.createMailbox(&u, m.name, m.use, now); err != nil {
				return err
			}
			if err := t.set(schema.SubscriptionKey(t.shard, user, m.name), nil); err != nil {
				return err
			}
		}
		if err := t.putUser(&u); err != nil {
			return err
		}
		if err := t.set(schema.QuotaKey(t.shard, user), (&schema.QuotaRecord{}).Encode()); err != nil {
			return err
		}
		t.publish(hub.Event{MailboxesChanged: true})
		return nil
	})
}

// DeleteUser removes every key of user. ErrNoSuchUser if none.
func (s *Store) DeleteUser(user string) error {
	if err := ValidateUser(user); err != nil {
		return err
	}
	// A user made again under the name may bring back mailbox ids and
	// stamps the state cache has seen (stateCache).
	defer s.cache.invalidate()
	return s.update(user, func(t *txn) error {
		if _, err := t.view().userRecord(); err != nil {
			return err
		}
		for _, tab := range allUserTables() {
			p := schema.UserPrefix(t.shard, tab, user)
			if err := t.b.DeleteRange(p, schema.PrefixEnd(p), nil); err != nil {
				return fmt.Errorf("state: delete user: %w", err)
			}
		}
		t.publish(hub.Event{MailboxesChanged: true})
		return nil
	})
}

// SetPassword replaces the password hash of user.
func (s *Store) SetPassword(user, passwordHash string) error {
	if err := ValidateUser(user); err != nil {
		return err
	}
	return s.update(user, func(t *txn) error {
		u, err := t.view().userRecord()
		if err != nil {
			return err
		}
		u.PasswordHash = passwordHash
		return t.putUser(&u)
	})
}

// PasswordHash returns the stored hash of user, ErrNoSuchUser if none.
func (s *Store) PasswordHash(user string) (string, error) {
	if err := ValidateUser(user); err != nil {
		return "", fmt.Errorf("state: %w", base.ErrNoSuchUser)
	}
	var h string
	err := s.read(user, func(v *view) error {
		u, err := v.userRecord()
		h = u.PasswordHash
		return err
	})
	return h, err
}

// ListUsers returns every user of every shard, sorted. It scans the user
// table of each shard (one seek per shard), never a global list.
func (s *Store) ListUsers() ([]string, error) {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	var users []string
	for sh := uint32(0); sh < s.shards; sh++ {
		lo := schema.ShardTableStart(sh, schema.TableUser)
		hi := schema.ShardTableStart(sh, schema.TableUser+1)
		err := scan(snap, lo, hi, func(k, _ []byte) (bool, error) {
			_, u, err := schema.UserFromKey(k)
			users = append(users, u)
			return true, err
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(users)
	return users, nil
}

// UserExists reports whether user exists.
func (s *Store) UserExists(user string) (bool, error) {
	_, err := s.PasswordHash(user)
	if err == nil {
		return true, nil
	}
	if isNoSuchUser(err) {
		return false, nil
	}
	return false, err
}
