package base

import (
	"errors"
	"hash/fnv"
)

// UID is an IMAP unique identifier (RFC 9051 §2.3.1.1). Zero is never a
// valid UID.
type UID = uint32

// ModSeq is a CONDSTORE modification sequence (RFC 7162 §3). Every change to
// a mailbox allocates a new, strictly greater ModSeq in commit order.
type ModSeq = uint64

// MailboxID is the stable internal identity of a mailbox. It survives RENAME
// and is never reused by the same user, so a session that selected a mailbox
// can tell that it was deleted and recreated under the same name.
type MailboxID = uint64

// DefaultShards is the number of virtual shards of a cluster created by
// `postbus serve` when nothing else is configured.
const DefaultShards = 1024

// ShardOf maps a user to its virtual shard: shard = fnv1a64(user) mod shards.
// The function is part of the on-disk format (keys are prefixed by shard) and
// must never change.
func ShardOf(user string, shards uint32) uint32 {
	h := fnv.New64a()
	h.Write([]byte(user))
	return uint32(h.Sum64() % uint64(shards))
}

// Sentinel errors. They are mapped once to gRPC status codes (proto/metadatapb)
// and once to IMAP responses (frontend), and compared with errors.Is.
var (
	ErrNoSuchUser      = errors.New("postbus: no such user")
	ErrUserExists      = errors.New("postbus: user already exists")
	ErrAuthFailed      = errors.New("postbus: authentication failed")
	ErrNoSuchMailbox   = errors.New("postbus: no such mailbox")
	ErrMailboxExists   = errors.New("postbus: mailbox already exists")
	ErrMailboxHasChild = errors.New("postbus: mailbox has inferior hierarchical names")
	ErrInvalidName     = errors.New("postbus: invalid mailbox name")
	ErrNoSuchMessage   = errors.New("postbus: no such message")
	ErrOverQuota       = errors.New("postbus: quota exceeded")
	ErrTooBig          = errors.New("postbus: message too large")
	ErrInvalidArgument = errors.New("postbus: invalid argument")
	ErrNotOwner        = errors.New("postbus: shard not owned by this node")
	ErrUnavailable     = errors.New("postbus: service unavailable")
	ErrNoSuchBlob      = errors.New("postbus: no such blob")
	ErrConflict        = errors.New("postbus: conflicting concurrent change")
)
