package schema

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/proto/metadatapb"
)

func blobHex(c byte) string { return strings.Repeat(string([]byte{c}), 64) }

func TestBlobIDFromMeta(t *testing.T) {
	full, err := proto.Marshal(&metadatapb.MessageMeta{
		BlobId: blobHex('a'), Size: 9, Header: []byte("Subject: x\r\n\r\n"),
		Part: &metadatapb.MimePart{ContentType: "text/plain"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Field order must not matter: blob id after other fields.
	late := append(protoField(t, &metadatapb.MessageMeta{Size: 5, Subject: "s"}), protoField(t, &metadatapb.MessageMeta{BlobId: blobHex('b')})...)
	noID := protoField(t, &metadatapb.MessageMeta{Size: 5})
	for _, tc := range []struct {
		name string
		in   []byte
		want string
		err  bool
	}{
		{"full", full, blobHex('a'), false},
		{"late", late, blobHex('b'), false},
		{"none", noID, "", true},
		{"empty", nil, "", true},
		{"truncated", full[:10], "", true},
		{"garbage", []byte{0xff, 0xff, 0xff}, "", true},
	} {
		got, err := BlobIDFromMeta(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: got %q, %v", tc.name, got, err)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error %v does not wrap ErrCorrupt", tc.name, err)
		}
	}
}

func protoField(t *testing.T, m *metadatapb.MessageMeta) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBlobIndexKeys(t *testing.T) {
	k, err := BlobIndexKey(3, "bob", 7, blobHex('c'), 42)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := BlobIndexPrefix(3, "bob", 7, blobHex('c'))
	if !bytes.HasPrefix(k, p) || !bytes.HasPrefix(k, MailboxPrefix(3, TableBlobIndex, "bob", 7)) {
		t.Errorf("key %x not under its prefixes", k)
	}
	if uid, err := UIDFromKey(k); err != nil || uid != 42 {
		t.Errorf("UIDFromKey = %d %v", uid, err)
	}
	for _, bad := range []string{"", "xyz", blobHex('A')[:63], blobHex('g')} {
		if _, err := BlobIndexKey(3, "bob", 7, bad, 1); !errors.Is(err, ErrCorrupt) {
			t.Errorf("blob id %q accepted: %v", bad, err)
		}
	}
	sh, user, mbox, uid, err := MsgKeyParts(MsgMetaKey(9, "alice", 5, 77))
	if err != nil || sh != 9 || user != "alice" || mbox != 5 || uid != 77 {
		t.Errorf("MsgKeyParts = %d %q %d %d %v", sh, user, mbox, uid, err)
	}
	if _, _, _, _, err := MsgKeyParts(UserKey(9, "alice")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("user key split as a message key: %v", err)
	}
}

// TestMigrateV1BuildsBlobIndex writes a version-1 store by hand and checks
// that opening it adds one index entry per message, in every shard.
func TestMigrateV1BuildsBlobIndex(t *testing.T) {
	db := memDB(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Set(VersionKey(), EncodeU32(1), pebble.Sync))
	must(db.Set(ShardsKey(), EncodeU32(16), pebble.Sync))
	type msg struct {
		shard uint32
		user  string
		mbox  uint64
		uid   uint32
		blob  string
	}
	msgs := []msg{{0, "a", 1, 1, blobHex('1')}, {0, "a", 1, 2, blobHex('1')}, {5, "b", 2, 9, blobHex('2')}, {15, "c", 1, 3, blobHex('3')}}
	for _, m := range msgs {
		must(db.Set(MsgMetaKey(m.shard, m.user, m.mbox, m.uid), protoField(t, &metadatapb.MessageMeta{BlobId: m.blob, Size: 1}), pebble.Sync))
	}
	if from, err := Migrate(db); err != nil || from != 1 {
		t.Fatalf("migrate: %d %v", from, err)
	}
	for _, m := range msgs {
		k, _ := BlobIndexKey(m.shard, m.user, m.mbox, m.blob, m.uid)
		if _, c, err := db.Get(k); err != nil {
			t.Errorf("index entry of %+v: %v", m, err)
		} else {
			c.Close()
		}
	}
	if v, _, err := getU32(db, VersionKey()); err != nil || v != Version {
		t.Errorf("version after migrate = %d %v", v, err)
	}

	// A corrupt meta record fails the migration instead of silently
	// leaving a message out of the index.
	db2 := memDB(t)
	must(db2.Set(VersionKey(), EncodeU32(1), pebble.Sync))
	must(db2.Set(ShardsKey(), EncodeU32(4), pebble.Sync))
	must(db2.Set(MsgMetaKey(2, "x", 1, 1), []byte{0xff}, pebble.Sync))
	if _, err := Migrate(db2); !errors.Is(err, ErrCorrupt) {
		t.Errorf("corrupt meta: %v", err)
	}
}
