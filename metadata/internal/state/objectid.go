package state

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/metadata/internal/objectid"
	"github.com/postbus/postbus/metadata/internal/schema"
)

// RFC 8474 object ids in the state machine. MAILBOXIDs are derived when a
// mailbox is read (toPB); EMAILID and THREADID are assigned once, by the
// APPEND that adds a message, stored in its meta and carried unchanged by
// COPY, MOVE and RENAME of INBOX, which copy the meta. Expunge leaves the
// thread table alone: see the schema package comment for why its entries
// live as long as the user.

// createdKeyContext is the objectid.UserKey context of a user created at
// now: a name created again gets a new key even with the same password
// hash, so no MAILBOXID of the former user comes back.
func createdKeyContext(now int64) string { return fmt.Sprintf("created at %d", now) }

// withObjectIDs assigns m's EMAILID and THREADID in the batch (earlier
// messages of the same MULTIAPPEND are seen through the indexed batch)
// and returns the encoded meta.
func (t *txn) withObjectIDs(u *schema.UserRecord, m *metaPB) ([]byte, error) {
	if len(u.ObjectKey) == 0 {
		return nil, fmt.Errorf("state: user %q has no object key: %w", t.user, schema.ErrCorrupt)
	}
	lookup := schema.ThreadLookup(t.b, t.shard, t.user)
	if err := schema.AssignObjectIDs(t.b, t.shard, t.user, u.ObjectKey, m, lookup); err != nil {
		return nil, fmt.Errorf("state: object ids: %w", err)
	}
	raw, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("state: encode meta: %w", err)
	}
	return raw, nil
}

// mailboxObjectID is the MAILBOXID of the user's mailbox id ("" for a user
// record without a key, which only a store not yet migrated has).
func mailboxObjectID(u *schema.UserRecord, id uint64) string {
	if len(u.ObjectKey) == 0 {
		return ""
	}
	return objectid.Mailbox(u.ObjectKey, id)
}
