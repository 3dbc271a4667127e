package state

import (
	"fmt"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// quota reads the user's quota record. A user without one (which the
// schema migration and CreateUser never leave) has no limits and no usage.
func (v *view) quota() (schema.QuotaRecord, error) {
	b, ok, err := get(v.r, schema.QuotaKey(v.shard, v.user))
	if err != nil || !ok {
		return schema.QuotaRecord{}, err
	}
	return schema.DecodeQuotaRecord(b)
}

// charge adds bytes and msgs (negative to release) to the user's usage in
// the command's batch. With enforce, growth past a limit fails with
// ErrOverQuota, and the caller's whole batch is dropped: nothing of the
// command is written (MULTIAPPEND all or nothing, RFC 3502 §6.3.11).
// Commands that only move messages between the user's mailboxes (MOVE,
// INBOX rename) either charge nothing or charge +n then -n without enforce.
func (t *txn) charge(bytes, msgs int64, enforce bool) error {
	if bytes == 0 && msgs == 0 {
		return nil
	}
	q, err := t.view().quota()
	if err != nil {
		return err
	}
	q.UsedBytes = addClamped(q.UsedBytes, bytes)
	q.UsedMessages = addClamped(q.UsedMessages, msgs)
	if enforce && (bytes > 0 || msgs > 0) {
		// RFC 9208 §5.1: STORAGE is counted in units of 1024 octets.
		if q.StorageLimitKiB > 0 && bytes > 0 && q.UsedKiB() > q.StorageLimitKiB {
			return fmt.Errorf("state: user %q: storage %d KiB over the limit of %d KiB: %w",
				t.user, q.UsedKiB(), q.StorageLimitKiB, base.ErrOverQuota)
		}
		if q.MessageLimit > 0 && msgs > 0 && q.UsedMessages > q.MessageLimit {
			return fmt.Errorf("state: user %q: %d messages over the limit of %d: %w",
				t.user, q.UsedMessages, q.MessageLimit, base.ErrOverQuota)
		}
	}
	return t.set(schema.QuotaKey(t.shard, t.user), q.Encode())
}

// addClamped adds a signed delta, never below zero.
func addClamped(v uint64, d int64) uint64 {
	if d >= 0 {
		return v + uint64(d)
	}
	if uint64(-d) > v {
		return 0
	}
	return v - uint64(-d)
}

// GetQuota returns the user's limits and usage. ErrNoSuchUser if none.
func (s *Store) GetQuota(user string) (*metadatapb.Quota, error) {
	var out *metadatapb.Quota
	err := s.read(user, func(v *view) error {
		if _, err := v.userRecord(); err != nil {
			return err
		}
		q, err := v.quota()
		out = quotaPB(&q)
		return err
	})
	return out, err
}

// SetQuota replaces the user's limits (0 = unlimited) and returns the
// quota. Lowering a limit below the usage refuses further growth but
// removes nothing (RFC 9208 §4.3). ErrNoSuchUser if none.
func (s *Store) SetQuota(user string, storageKiB, messages uint64) (*metadatapb.Quota, error) {
	var out *metadatapb.Quota
	err := s.update(user, func(t *txn) error {
		v := t.view()
		if _, err := v.userRecord(); err != nil {
			return err
		}
		q, err := v.quota()
		if err != nil {
			return err
		}
		q.StorageLimitKiB, q.MessageLimit = storageKiB, messages
		out = quotaPB(&q)
		return t.set(schema.QuotaKey(t.shard, t.user), q.Encode())
	})
	return out, err
}

func quotaPB(q *schema.QuotaRecord) *metadatapb.Quota {
	return &metadatapb.Quota{
		StorageLimitKib:  q.StorageLimitKiB,
		MessageLimit:     q.MessageLimit,
		StorageUsedBytes: q.UsedBytes,
		MessagesUsed:     q.UsedMessages,
	}
}
