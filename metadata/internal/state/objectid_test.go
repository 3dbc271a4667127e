package state

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/metadata/internal/objectid"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// aliases names the object ids a script sees by kind and order of first
// appearance (F1, M1, M2, T1, ...), so that scripts show which ids are
// equal without spelling 25-character HMACs. An id that is not a valid
// objectid is shown as INVALID(...), an empty one as NIL.
type aliases struct {
	byID  map[string]string
	count map[byte]int
}

func (a *aliases) name(id string) string {
	if id == "" {
		return "NIL"
	}
	if !objectid.Valid(id) || len(id) != 25 {
		return fmt.Sprintf("INVALID(%q)", id)
	}
	if a.byID == nil {
		a.byID, a.count = map[string]string{}, map[byte]int{}
	}
	if n, ok := a.byID[id]; ok {
		return n
	}
	a.count[id[0]]++
	n := string(id[0]) + strconv.Itoa(a.count[id[0]])
	a.byID[id] = n
	return n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendMeta appends one message with meta m to user's mailbox box.
func appendMeta(t *testing.T, s *Store, user, box string, m *metadatapb.MessageMeta) {
	t.Helper()
	mb, err := s.GetMailbox(user, box)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(&metadatapb.AppendRequest{User: user, MailboxId: mb.Id, Messages: []*metadatapb.NewMessage{{Meta: m}}}, 1000); err != nil {
		t.Fatal(err)
	}
}

// metas returns the meta of every message of user's mailbox box.
func metas(t *testing.T, s *Store, user, box string) []*metadatapb.MessageMeta {
	t.Helper()
	mb, err := s.GetMailbox(user, box)
	if err != nil {
		t.Fatal(err)
	}
	var out []*metadatapb.MessageMeta
	err = s.Messages(user, mb.Id, nil, AllMeta, 0, func(r *metadatapb.MessageRecord) error {
		out = append(out, r.Meta)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAppendReplacesObjectIDs checks that ids a client (or a buggy
// frontend) puts in the meta never reach the store.
func TestAppendReplacesObjectIDs(t *testing.T) {
	s := testStore(t, nil)
	if err := s.CreateUser("ann", "h", 1000); err != nil {
		t.Fatal(err)
	}
	appendMeta(t, s, "ann", "INBOX", &metadatapb.MessageMeta{BlobId: blob(1), EmailId: "Mforged", ThreadId: "Tforged"})
	m := metas(t, s, "ann", "INBOX")[0]
	if m.EmailId == "Mforged" || m.ThreadId == "Tforged" || !objectid.Valid(m.EmailId) || m.ThreadId != objectid.ThreadOf(m.EmailId) {
		t.Fatalf("ids %q %q", m.EmailId, m.ThreadId)
	}
}

// TestObjectIDMigration rewinds a store to schema version 3 (user records
// without an object key, meta without ids, no thread table) and checks
// that Migrate assigns ids as APPEND would and that APPEND then threads
// new replies into migrated threads.
func TestObjectIDMigration(t *testing.T) {
	s := testStore(t, nil)
	if _, err := schema.Migrate(s.db); err != nil {
		t.Fatal(err)
	}
	if _, err := schema.Shards(s.db, 16, 16); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"ann", "bob"} {
		if err := s.CreateUser(u, "$argon2id$"+u, 1000); err != nil {
			t.Fatal(err)
		}
		appendMeta(t, s, u, "INBOX", &metadatapb.MessageMeta{BlobId: blob(1), MessageId: "root@x"})
		appendMeta(t, s, u, "Archive", &metadatapb.MessageMeta{BlobId: blob(2), MessageId: "reply@x", InReplyTo: "root@x"})
		appendMeta(t, s, u, "INBOX", &metadatapb.MessageMeta{BlobId: blob(3), MessageId: "alone@x"})
	}
	before := map[string][]*metadatapb.MessageMeta{}
	for _, u := range []string{"ann", "bob"} {
		before[u] = append(metas(t, s, u, "INBOX"), metas(t, s, u, "Archive")...)
		rewindObjectIDs(t, s, u)
		if m := metas(t, s, u, "INBOX")[0]; m.EmailId != "" || m.ThreadId != "" {
			t.Fatalf("rewind left ids: %v", m)
		}
	}
	if err := s.db.Set(schema.VersionKey(), schema.EncodeU32(3), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if from, err := schema.Migrate(s.db); err != nil || from != 3 {
		t.Fatalf("migrate: from %d, %v", from, err)
	}
	for _, u := range []string{"ann", "bob"} {
		got := append(metas(t, s, u, "INBOX"), metas(t, s, u, "Archive")...)
		for i, m := range got {
			if !objectid.Valid(m.EmailId) || !objectid.Valid(m.ThreadId) || m.EmailId[0] != 'M' || m.ThreadId[0] != 'T' {
				t.Fatalf("%s message %d: ids %q %q", u, i, m.EmailId, m.ThreadId)
			}
			if m.EmailId == before[u][i].EmailId {
				t.Errorf("%s message %d: migrated key equals the created one", u, i)
			}
		}
		// INBOX: root, alone; Archive: reply.
		root, alone, reply := got[0], got[1], got[2]
		if reply.ThreadId != root.ThreadId || alone.ThreadId == root.ThreadId {
			t.Errorf("%s threads root=%s reply=%s alone=%s", u, root.ThreadId, reply.ThreadId, alone.ThreadId)
		}
		appendMeta(t, s, u, "Sent", &metadatapb.MessageMeta{BlobId: blob(4), MessageId: "new@x", References: []string{"root@x", "reply@x"}})
		if m := metas(t, s, u, "Sent")[0]; m.ThreadId != root.ThreadId {
			t.Errorf("%s: new reply thread %s, want %s", u, m.ThreadId, root.ThreadId)
		}
		mb, err := s.GetMailbox(u, "INBOX")
		if err != nil || !objectid.Valid(mb.ObjectId) {
			t.Fatalf("%s MAILBOXID %q %v", u, mb.GetObjectId(), err)
		}
	}
	ann := metas(t, s, "ann", "INBOX")[0]
	bob := metas(t, s, "bob", "INBOX")[0]
	if ann.EmailId == bob.EmailId {
		t.Errorf("two users share EMAILID %s for the same body", ann.EmailId)
	}
	// Migrating again is a no-op.
	if from, err := schema.Migrate(s.db); err != nil || from != schema.Version {
		t.Fatalf("second migrate: from %d, %v", from, err)
	}
}

// rewindObjectIDs turns user's state into what schema version 3 wrote.
func rewindObjectIDs(t *testing.T, s *Store, user string) {
	t.Helper()
	shard := s.shardOf(user)
	b := s.db.NewBatch()
	defer b.Close()
	raw, ok, err := get(s.db, schema.UserKey(shard, user))
	if err != nil || !ok {
		t.Fatal(err)
	}
	u, err := schema.DecodeUserRecord(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.ObjectKey = nil
	v2 := u.Encode()
	// A version 1 record is the version 2 one without its trailing
	// (empty) key and with format byte 1.
	v1 := append([]byte{1}, v2[1:len(v2)-1]...)
	if err := b.Set(schema.UserKey(shard, user), v1, nil); err != nil {
		t.Fatal(err)
	}
	p := schema.UserPrefix(shard, schema.TableMsgMeta, user)
	err = scan(s.db, p, schema.PrefixEnd(p), func(k, v []byte) (bool, error) {
		var m metadatapb.MessageMeta
		if err := proto.Unmarshal(v, &m); err != nil {
			return false, err
		}
		m.EmailId, m.ThreadId = "", ""
		nv, err := proto.Marshal(&m)
		if err != nil {
			return false, err
		}
		return true, b.Set(append([]byte(nil), k...), nv, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	tp := schema.UserPrefix(shard, schema.TableThread, user)
	if err := b.DeleteRange(tp, schema.PrefixEnd(tp), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
}

// TestObjectIDsMoveWithUser checks that RenameUser and Export/ImportUser
// carry the object key and the thread table: ids stay the same and a new
// reply still joins its thread. An export from a schema 3 node (no key, no
// ids) gets its ids on import.
func TestObjectIDsMoveWithUser(t *testing.T) {
	s := testStore(t, nil)
	if err := s.CreateUser("ann", "h", 1000); err != nil {
		t.Fatal(err)
	}
	appendMeta(t, s, "ann", "INBOX", &metadatapb.MessageMeta{BlobId: blob(1), MessageId: "root@x"})
	want := metas(t, s, "ann", "INBOX")[0]
	inbox, err := s.GetMailbox("ann", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RenameUser("ann", "anne"); err != nil {
		t.Fatal(err)
	}
	export := func(user string) ([]UserKV, uint64) {
		var keys []UserKV
		sum, err := s.ExportUser(user, func(kv UserKV) error { keys = append(keys, kv); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return keys, sum
	}
	keys, sum := export("anne")
	if err := s.ImportUser("annie", keys, sum); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"anne", "annie"} {
		if got := metas(t, s, u, "INBOX")[0]; got.EmailId != want.EmailId || got.ThreadId != want.ThreadId {
			t.Errorf("%s: ids %s %s, want %s %s", u, got.EmailId, got.ThreadId, want.EmailId, want.ThreadId)
		}
		if mb, err := s.GetMailbox(u, "INBOX"); err != nil || mb.ObjectId != inbox.ObjectId {
			t.Errorf("%s: MAILBOXID %q %v, want %s", u, mb.GetObjectId(), err, inbox.ObjectId)
		}
		appendMeta(t, s, u, "Sent", &metadatapb.MessageMeta{BlobId: blob(2), InReplyTo: "root@x"})
		if got := metas(t, s, u, "Sent")[0]; got.ThreadId != want.ThreadId {
			t.Errorf("%s: reply thread %s, want %s", u, got.ThreadId, want.ThreadId)
		}
	}

	// As a schema 3 node would export it.
	rewindObjectIDs(t, s, "anne")
	keys, sum = export("anne")
	if err := s.ImportUser("old", keys, sum); err != nil {
		t.Fatal(err)
	}
	inboxOld, sent := metas(t, s, "old", "INBOX")[0], metas(t, s, "old", "Sent")[0]
	if !objectid.Valid(inboxOld.EmailId) || inboxOld.ThreadId != sent.ThreadId || inboxOld.EmailId == sent.EmailId {
		t.Errorf("imported schema 3 user: %s/%s %s/%s", inboxOld.EmailId, inboxOld.ThreadId, sent.EmailId, sent.ThreadId)
	}
	if mb, err := s.GetMailbox("old", "INBOX"); err != nil || !objectid.Valid(mb.ObjectId) {
		t.Errorf("imported schema 3 user: MAILBOXID %q %v", mb.GetObjectId(), err)
	}
}
