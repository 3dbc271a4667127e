package state

import (
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc64"
	"slices"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/schema"
)

// Moving a user to another store under a new name (a rename across
// metadata nodes): ExportUser reads every key, ImportUser writes them under
// the new name, DeleteUserIfUnchanged removes the source only if nothing
// changed it since the export. The checksum ties the three together.

// UserKV is one key of a user, relative to the user's prefix in its table.
type UserKV struct {
	Table         byte
	Suffix, Value []byte
}

var crcTable = crc64.MakeTable(crc64.ECMA)

func hashKV(h hash.Hash64, kv UserKV) {
	var n [binary.MaxVarintLen64]byte
	h.Write([]byte{kv.Table})
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(kv.Suffix)))])
	h.Write(kv.Suffix)
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(kv.Value)))])
	h.Write(kv.Value)
}

// ChecksumKVs is the checksum of keys in the order ExportUser yields them.
func ChecksumKVs(keys []UserKV) uint64 {
	h := crc64.New(crcTable)
	for _, kv := range keys {
		hashKV(h, kv)
	}
	return h.Sum64()
}

// userKeys calls fn (if not nil) with a copy of every key of user in r and
// returns their checksum.
func userKeys(r reader, shard uint32, user string, fn func(UserKV) error) (uint64, error) {
	h := crc64.New(crcTable)
	for _, tab := range schema.UserTables {
		p := schema.UserPrefix(shard, tab, user)
		err := scan(r, p, schema.PrefixEnd(p), func(k, v []byte) (bool, error) {
			kv := UserKV{Table: tab, Suffix: k[len(p):], Value: v}
			hashKV(h, kv)
			if fn == nil {
				return true, nil
			}
			kv.Suffix, kv.Value = slices.Clone(kv.Suffix), slices.Clone(kv.Value)
			return true, fn(kv)
		})
		if err != nil {
			return 0, err
		}
	}
	return h.Sum64(), nil
}

// ExportUser calls fn for every key of user, table by table, from one
// snapshot, and returns their checksum. ErrNoSuchUser if none.
func (s *Store) ExportUser(user string, fn func(UserKV) error) (uint64, error) {
	if err := ValidateUser(user); err != nil {
		return 0, err
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	v := &view{r: snap, shard: s.shardOf(user), user: user}
	if _, err := v.userRecord(); err != nil {
		return 0, err
	}
	return userKeys(snap, v.shard, user, fn)
}

// ImportUser writes keys (as ExportUser yields them) as the keys of user
// in one synced batch. ErrUserExists if user exists; ErrInvalidArgument if
// checksum does not match keys, a table is not a user table, or there is
// no user record.
func (s *Store) ImportUser(user string, keys []UserKV, checksum uint64) error {
	if err := ValidateUser(user); err != nil {
		return err
	}
	if ChecksumKVs(keys) != checksum {
		return fmt.Errorf("state: import of %q: checksum mismatch: %w", user, base.ErrInvalidArgument)
	}
	hasUser := false
	for _, kv := range keys {
		if !slices.Contains(schema.UserTables, kv.Table) {
			return fmt.Errorf("state: import of %q: table %#x: %w", user, kv.Table, base.ErrInvalidArgument)
		}
		hasUser = hasUser || (kv.Table == schema.TableUser && len(kv.Suffix) == 0)
	}
	if !hasUser {
		return fmt.Errorf("state: import of %q: no user record: %w", user, base.ErrInvalidArgument)
	}
	defer s.cache.invalidate() // as DeleteUser
	return s.update(user, func(t *txn) error {
		if _, err := t.view().userRecord(); err == nil {
			return fmt.Errorf("state: user %q: %w", user, base.ErrUserExists)
		} else if !isNoSuchUser(err) {
			return err
		}
		for _, kv := range keys {
			k := append(schema.UserPrefix(t.shard, kv.Table, user), kv.Suffix...)
			if err := t.set(k, kv.Value); err != nil {
				return err
			}
		}
		// A node still at schema 3 exports users without RFC 8474 ids.
		if err := schema.UpgradeUserObjectIDs(t.b, t.shard, user); err != nil {
			return fmt.Errorf("state: import of %q: %w", user, err)
		}
		t.publish(hub.Event{MailboxesChanged: true})
		return nil
	})
}

// DeleteUserIfUnchanged deletes user if its keys still have checksum,
// under the user's writer lock: no write of the user can come between the
// check and the delete. ErrConflict if they changed, ErrNoSuchUser if the
// user is gone. The user's sessions are logged out.
func (s *Store) DeleteUserIfUnchanged(user string, checksum uint64) error {
	if err := ValidateUser(user); err != nil {
		return err
	}
	defer s.cache.invalidate() // as DeleteUser
	return s.update(user, func(t *txn) error {
		if _, err := t.view().userRecord(); err != nil {
			return err
		}
		sum, err := userKeys(t.b, t.shard, user, nil)
		if err != nil {
			return err
		}
		if sum != checksum {
			return fmt.Errorf("state: user %q changed since it was exported: %w", user, base.ErrConflict)
		}
		for _, tab := range allUserTables() {
			p := schema.UserPrefix(t.shard, tab, user)
			if err := t.b.DeleteRange(p, schema.PrefixEnd(p), nil); err != nil {
				return fmt.Errorf("state: delete user: %w", err)
			}
		}
		t.publish(hub.Event{MailboxID: LogoutMailbox})
		return nil
	})
}
