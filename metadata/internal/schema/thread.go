package schema

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/internal/objectid"
	"github.com/postbus/postbus/proto/metadatapb"
)

const formatThreadV1 byte = 1

// threadHashLen is how many SHA-256 bytes of a Message-ID key the thread
// table: 128 bits, collision-free in practice within one user.
const threadHashLen = 16

// ThreadKey is the thread table entry of a (normalised) Message-ID.
func ThreadKey(shard uint32, user, msgID string) []byte {
	sum := sha256.Sum256([]byte(msgID))
	return append(UserPrefix(shard, TableThread, user), sum[:threadHashLen]...)
}

// EncodeThread returns the value of a thread table entry.
func EncodeThread(threadID string) []byte {
	e := encoder{b: []byte{formatThreadV1}}
	e.str(threadID)
	return e.b
}

// DecodeThread decodes a value written by EncodeThread.
func DecodeThread(b []byte) (string, error) {
	d := decoder{b: b}
	f := d.byte1()
	t := d.str()
	return t, d.finish(f, formatThreadV1)
}

// ThreadWriter is where AssignObjectIDs records new thread table entries
// (a batch).
type ThreadWriter interface {
	Set(key, value []byte, o *pebble.WriteOptions) error
}

// Getter reads keys: an indexed batch, so that the messages of one command
// see each other's thread table entries, or a snapshot.
type Getter interface {
	Get(key []byte) ([]byte, io.Closer, error)
}

// lookupThread returns the thread a Message-ID is mapped to in r.
func lookupThread(r Getter, shard uint32, user, msgID string) (string, bool, error) {
	v, closer, err := r.Get(ThreadKey(shard, user, msgID))
	if errors.Is(err, pebble.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer closer.Close()
	t, err := DecodeThread(v)
	return t, err == nil, err
}

// ThreadLookup is the objectid.Lookup of user's thread table in r.
func ThreadLookup(r Getter, shard uint32, user string) objectid.Lookup {
	return func(id string) (string, bool, error) { return lookupThread(r, shard, user, id) }
}

// AssignObjectIDs sets m's EMAILID and THREADID (RFC 8474 §5) for a new
// message of user whose object key is key, and maps each of its
// Message-IDs that the thread table does not know yet to the thread. It is
// the one place both APPEND (package state) and the migration to version 4
// assign ids, so they cannot disagree.
func AssignObjectIDs(w ThreadWriter, shard uint32, user string, key []byte, m *metadatapb.MessageMeta,
	lookup objectid.Lookup) error {
	email, err := objectid.Email(key, m.BlobId)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	ids := objectid.Refs(m.MessageId, m.InReplyTo, m.References)
	thread, err := objectid.Thread(ids, email, lookup)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok, err := lookup(id); err != nil {
			return err
		} else if ok {
			continue
		}
		if err := w.Set(ThreadKey(shard, user, id), EncodeThread(thread), nil); err != nil {
			return err
		}
	}
	m.EmailId, m.ThreadId = email, thread
	return nil
}
