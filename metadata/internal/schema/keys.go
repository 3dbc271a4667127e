package schema

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Table ids. They are part of the on-disk format: never renumber one.
const (
	TableGlobalMeta   byte = 0x01
	TableUser         byte = 0x10
	TableMailboxName  byte = 0x11
	TableMailbox      byte = 0x12
	TableSubscription byte = 0x13
	TableMsgState     byte = 0x14
	TableMsgMeta      byte = 0x15
	TableModSeq       byte = 0x16
	TableExpunge      byte = 0x17
	TableBlobIndex    byte = 0x18
	TableQuota        byte = 0x19
	TableThread       byte = 0x1A
	// TableMsgDigest holds per message the folded values of the header
	// fields SEARCH asks for most (search.Digest): derived from the meta,
	// written with it, and optional (a message without one is searched
	// through its header).
	TableMsgDigest byte = 0x1F
	// TableAnnotation (RFC 5464 METADATA).
	TableAnnotation byte = 0x20
	// TableMsgListHeader holds per message the lines of its header that
	// message lists ask for (headerfields.ListHeader), so that a FETCH of
	// BODY[HEADER.FIELDS (...)] naming only such fields reads a few
	// hundred bytes rather than the meta record: derived from the meta,
	// written with it, and optional (a message without one, or with one
	// of another list version, is answered from its header).
	TableMsgListHeader byte = 0x21
	// Tables from 0x30 on hold derived data: rebuilt from the tables
	// above, never exported, dropped freely (DerivedTables).
	TableTextIndex byte = 0x30
)

// UserTables lists every per-user table, for whole-user deletion.
var UserTables = []byte{
	TableUser, TableMailboxName, TableMailbox, TableSubscription,
	TableMsgState, TableMsgMeta, TableModSeq, TableExpunge, TableBlobIndex,
	TableQuota, TableThread, TableMsgDigest, TableAnnotation, TableMsgListHeader,
}

// DerivedTables lists the per-user tables of derived data. They are not
// in UserTables: a user's export, import and checksum skip them, and a
// user rename drops them (they are rebuilt under the new name), but
// whole-user deletion removes them too.
var DerivedTables = []byte{TableTextIndex}

// MailboxTables lists the per-message tables of one mailbox (keys under
// MailboxPrefix), derived ones included, for whole-mailbox deletion.
var MailboxTables = []byte{TableMsgState, TableMsgMeta, TableModSeq, TableExpunge, TableBlobIndex, TableMsgDigest, TableMsgListHeader, TableTextIndex}

// GlobalShard is the reserved shard prefix of global keys.
const GlobalShard uint32 = 0xFFFFFFFF

// MaxShards is the largest valid shard count: shard values must stay below
// GlobalShard.
const MaxShards uint32 = 1 << 24

// ErrCorrupt reports a key or record that does not decode.
var ErrCorrupt = errors.New("schema: corrupt record")

// Global meta names.
const (
	metaVersion = "version"
	metaShards  = "shards"
)

func globalKey(name string) []byte {
	k := binary.BigEndian.AppendUint32(make([]byte, 0, 5+len(name)), GlobalShard)
	k = append(k, TableGlobalMeta)
	return append(k, name...)
}

// VersionKey is the key of the schema version.
func VersionKey() []byte { return globalKey(metaVersion) }

// ShardsKey is the key of the persisted shard count.
func ShardsKey() []byte { return globalKey(metaShards) }

// ShardStart returns the first key of a shard; ShardStart(s+1) is the
// exclusive end of its range.
func ShardStart(shard uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, shard)
}

// ShardTableStart is the first key of table t in a shard.
func ShardTableStart(shard uint32, t byte) []byte {
	return append(ShardStart(shard), t)
}

// UserPrefix is the prefix of every key of user in table t.
func UserPrefix(shard uint32, t byte, user string) []byte {
	k := make([]byte, 0, 6+len(user)+16)
	k = binary.BigEndian.AppendUint32(k, shard)
	k = append(k, t)
	k = append(k, user...)
	return append(k, 0)
}

// PrefixEnd returns the smallest key greater than every key with prefix p
// (p must not be all 0xFF bytes, which no key of this schema is).
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// UserKey is the key of the user record.
func UserKey(shard uint32, user string) []byte { return UserPrefix(shard, TableUser, user) }

// UserFromKey extracts the user name from a user-table key.
func UserFromKey(k []byte) (shard uint32, user string, err error) {
	if len(k) < 6 || k[4] != TableUser || k[len(k)-1] != 0 {
		return 0, "", fmt.Errorf("%w: user key %x", ErrCorrupt, k)
	}
	return binary.BigEndian.Uint32(k), string(k[5 : len(k)-1]), nil
}

// MailboxNameKey maps a mailbox name to its id.
func MailboxNameKey(shard uint32, user, name string) []byte {
	return append(UserPrefix(shard, TableMailboxName, user), name...)
}

// SubscriptionKey marks a subscribed name.
func SubscriptionKey(shard uint32, user, name string) []byte {
	return append(UserPrefix(shard, TableSubscription, user), name...)
}

// MailboxKey is the key of a mailbox record.
func MailboxKey(shard uint32, user string, mbox uint64) []byte {
	return binary.BigEndian.AppendUint64(UserPrefix(shard, TableMailbox, user), mbox)
}

// MailboxPrefix is the prefix of the keys of one mailbox in a per-message
// table (MailboxTables).
func MailboxPrefix(shard uint32, t byte, user string, mbox uint64) []byte {
	return binary.BigEndian.AppendUint64(UserPrefix(shard, t, user), mbox)
}

// MsgStateKey is the key of a message's mutable state.
func MsgStateKey(shard uint32, user string, mbox uint64, uid uint32) []byte {
	return binary.BigEndian.AppendUint32(MailboxPrefix(shard, TableMsgState, user, mbox), uid)
}

// MsgMetaKey is the key of a message's immutable meta.
func MsgMetaKey(shard uint32, user string, mbox uint64, uid uint32) []byte {
	return binary.BigEndian.AppendUint32(MailboxPrefix(shard, TableMsgMeta, user, mbox), uid)
}

// MsgDigestKey is the key of a message's header search digest.
func MsgDigestKey(shard uint32, user string, mbox uint64, uid uint32) []byte {
	return binary.BigEndian.AppendUint32(MailboxPrefix(shard, TableMsgDigest, user, mbox), uid)
}

// MsgListHeaderKey is the key of a message's list header.
func MsgListHeaderKey(shard uint32, user string, mbox uint64, uid uint32) []byte {
	return binary.BigEndian.AppendUint32(MailboxPrefix(shard, TableMsgListHeader, user, mbox), uid)
}

// ModSeqKey is the modseq index entry of a message.
func ModSeqKey(shard uint32, user string, mbox uint64, modseq uint64, uid uint32) []byte {
	k := binary.BigEndian.AppendUint64(MailboxPrefix(shard, TableModSeq, user, mbox), modseq)
	return binary.BigEndian.AppendUint32(k, uid)
}

// ExpungeKey is the expunge log entry of a message.
func ExpungeKey(shard uint32, user string, mbox uint64, modseq uint64, uid uint32) []byte {
	k := binary.BigEndian.AppendUint64(MailboxPrefix(shard, TableExpunge, user, mbox), modseq)
	return binary.BigEndian.AppendUint32(k, uid)
}

// UIDFromKey returns the trailing UID of a message-state or meta key.
func UIDFromKey(k []byte) (uint32, error) {
	if len(k) < 4 {
		return 0, fmt.Errorf("%w: short key %x", ErrCorrupt, k)
	}
	return binary.BigEndian.Uint32(k[len(k)-4:]), nil
}

// ModSeqUIDFromKey returns the trailing (modseq, uid) of a modseq index or
// expunge log key.
func ModSeqUIDFromKey(k []byte) (uint64, uint32, error) {
	if len(k) < 12 {
		return 0, 0, fmt.Errorf("%w: short key %x", ErrCorrupt, k)
	}
	n := len(k)
	return binary.BigEndian.Uint64(k[n-12 : n-4]), binary.BigEndian.Uint32(k[n-4:]), nil
}

// EncodeU64 / DecodeU64 encode mailbox ids stored as values.
func EncodeU64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// DecodeU64 decodes a value written by EncodeU64.
func DecodeU64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: u64 of %d bytes", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

// EncodeU32 / DecodeU32 encode global meta numbers.
func EncodeU32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// DecodeU32 decodes a value written by EncodeU32.
func DecodeU32(b []byte) (uint32, error) {
	if len(b) != 4 {
		return 0, fmt.Errorf("%w: u32 of %d bytes", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint32(b), nil
}
