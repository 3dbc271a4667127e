package schema

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestKeysSortAndNest(t *testing.T) {
	// A shard is one contiguous range: every key of users of shard 7 lies in
	// [ShardStart(7), ShardStart(8)), global keys after every shard.
	keys := [][]byte{
		UserKey(7, "bob"), MailboxNameKey(7, "bob", "INBOX"), MailboxKey(7, "bob", 1),
		SubscriptionKey(7, "bob", "x"), MsgStateKey(7, "bob", 1, 9), MsgMetaKey(7, "bob", 1, 9),
		ModSeqKey(7, "bob", 1, 5, 9), ExpungeKey(7, "bob", 1, 5, 9),
	}
	for _, k := range keys {
		if bytes.Compare(k, ShardStart(7)) < 0 || bytes.Compare(k, ShardStart(8)) >= 0 {
			t.Errorf("key %x outside shard 7", k)
		}
		if bytes.Compare(k, VersionKey()) >= 0 {
			t.Errorf("key %x sorts after global keys", k)
		}
	}
	// Big-endian: numeric order is byte order.
	if bytes.Compare(MsgStateKey(0, "u", 1, 255), MsgStateKey(0, "u", 1, 256)) >= 0 {
		t.Error("uid 255 does not sort before 256")
	}
	if bytes.Compare(ModSeqKey(0, "u", 1, 255, 9), ModSeqKey(0, "u", 1, 256, 1)) >= 0 {
		t.Error("modseq 255 does not sort before 256")
	}
	// "bob" and "bob2" never interleave.
	p := UserPrefix(3, TableMsgState, "bob")
	if k := MsgStateKey(3, "bob2", 1, 1); bytes.HasPrefix(k, p) {
		t.Errorf("bob2's key %x has bob's prefix", k)
	}
	if k := MsgStateKey(3, "bob", 1, 1); !bytes.HasPrefix(k, p) || bytes.Compare(k, PrefixEnd(p)) >= 0 {
		t.Errorf("bob's key %x not in bob's range", k)
	}
	shard, user, err := UserFromKey(UserKey(42, "alice"))
	if err != nil || shard != 42 || user != "alice" {
		t.Errorf("UserFromKey = %d %q %v", shard, user, err)
	}
	ms, uid, err := ModSeqUIDFromKey(ExpungeKey(1, "a", 2, 77, 88))
	if err != nil || ms != 77 || uid != 88 {
		t.Errorf("ModSeqUIDFromKey = %d %d %v", ms, uid, err)
	}
	if _, _, err := UserFromKey([]byte{1}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short user key: %v", err)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ in, want []byte }{
		{[]byte{1, 2}, []byte{1, 3}},
		{[]byte{1, 0xff}, []byte{2}},
		{[]byte{0xff, 0xff}, nil},
	} {
		if got := PrefixEnd(tc.in); !bytes.Equal(got, tc.want) {
			t.Errorf("PrefixEnd(%x) = %x, want %x", tc.in, got, tc.want)
		}
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	for _, u := range []UserRecord{
		{PasswordHash: "$argon2id$x", NextMailboxID: 7, UIDValiditySeed: 12345},
		{PasswordHash: "$argon2id$x", NextMailboxID: 7, UIDValiditySeed: 12345, ObjectKey: []byte("0123456789abcdef0123456789abcdef")},
	} {
		if got, err := DecodeUserRecord(u.Encode()); err != nil || !reflect.DeepEqual(got, u) {
			t.Errorf("user: %+v %v", got, err)
		}
	}
	m := MailboxRecord{Name: "a/b", SpecialUse: `\Sent`, UIDValidity: 1, UIDNext: 2, HighestModSeq: 1 << 40,
		Messages: 3, Unseen: 4, Deleted: 5, Recent: 6, FirstRecentUID: 7, Size: 1 << 33}
	if got, err := DecodeMailboxRecord(m.Encode()); err != nil || got != m {
		t.Errorf("mailbox: %+v %v", got, err)
	}
	s := MsgState{ModSeq: 99, Size: 1234, System: FlagSeen | FlagDraft, Keywords: []string{"$Foo", "bar"}}
	if got, err := DecodeMsgState(s.Encode()); err != nil || !reflect.DeepEqual(got, s) {
		t.Errorf("state: %+v %v", got, err)
	}
	empty := MsgState{ModSeq: 1}
	if got, err := DecodeMsgState(empty.Encode()); err != nil || !reflect.DeepEqual(got, empty) {
		t.Errorf("empty state: %+v %v", got, err)
	}
	// Format 2 carries the dates, negative ones (before 1970, zones west
	// of UTC) included.
	dated := s
	dated.HasDates = true
	dated.Dates = MsgDates{Internal: 1764000000, InternalZone: -8 * 3600, Save: 1764000001, Sent: -86400, SentZone: 5*3600 + 1800}
	if got, err := DecodeMsgState(dated.Encode()); err != nil || !reflect.DeepEqual(got, dated) {
		t.Errorf("dated state: %+v %v", got, err)
	}
	// A zone that does not fit 32 bits is corrupt.
	bad := (&MsgState{HasDates: true, Dates: MsgDates{SentZone: 1}}).Encode()
	bad = append(bad[:len(bad)-1], 0xfe, 0xff, 0xff, 0xff, 0x7f)
	if _, err := DecodeMsgState(bad); !errors.Is(err, ErrCorrupt) {
		t.Errorf("state with a 36-bit zone: %v", err)
	}
}

func TestRecordsCorrupt(t *testing.T) {
	s := (&MsgState{ModSeq: 1, Keywords: []string{"abc"}, HasDates: true, Dates: MsgDates{Internal: 5}}).Encode()
	m := (&MailboxRecord{Name: "x"}).Encode()
	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": s[:len(s)-1],
		"trailing":  append(append([]byte(nil), s...), 0),
		"format":    append([]byte{9}, s[1:]...),
	} {
		if _, err := DecodeMsgState(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("state %s: %v", name, err)
		}
	}
	if _, err := DecodeMailboxRecord(m[:3]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("mailbox truncated: %v", err)
	}
	if _, err := DecodeU64([]byte{1}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("u64: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add((&MsgState{ModSeq: 1, Keywords: []string{"k"}}).Encode())
	f.Add((&MailboxRecord{Name: "x"}).Encode())
	f.Add((&UserRecord{PasswordHash: "h"}).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := DecodeMsgState(b); err == nil {
			again, err := DecodeMsgState(s.Encode())
			if err != nil || !reflect.DeepEqual(again, s) {
				t.Errorf("state does not round-trip: %+v %v", again, err)
			}
		}
		_, _ = DecodeMailboxRecord(b)
		_, _ = DecodeUserRecord(b)
	})
}

func memDB(t *testing.T) *pebble.DB {
	t.Helper()
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type quiet struct{}

func (quiet) Infof(string, ...interface{})  {}
func (quiet) Errorf(string, ...interface{}) {}
func (quiet) Fatalf(f string, a ...interface{}) {
	panic(f)
}

func TestMigrate(t *testing.T) {
	db := memDB(t)
	if from, err := Migrate(db); err != nil || from != 0 {
		t.Fatalf("fresh: %d %v", from, err)
	}
	if from, err := Migrate(db); err != nil || from != Version {
		t.Fatalf("reopen: %d %v", from, err)
	}
	// A step registered for an older version runs, in one batch with the
	// version bump.
	if err := db.Set(VersionKey(), EncodeU32(Version-1), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	ran := false
	steps := []Migration{{From: Version - 1, Apply: func(_ *pebble.DB, b *pebble.Batch) error {
		ran = true
		return b.Set([]byte("migrated"), nil, nil)
	}}}
	if from, err := migrate(db, steps); err != nil || from != Version-1 || !ran {
		t.Fatalf("migrate: %d %v ran=%v", from, err, ran)
	}
	if _, c, err := db.Get([]byte("migrated")); err != nil {
		t.Fatalf("migration write missing: %v", err)
	} else {
		c.Close()
	}
	if err := db.Set(VersionKey(), EncodeU32(Version+1), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(db); !errors.Is(err, ErrNewerVersion) {
		t.Fatalf("newer store: %v", err)
	}
}

func TestShards(t *testing.T) {
	db := memDB(t)
	if n, err := Shards(db, 0, 1024); err != nil || n != 1024 {
		t.Fatalf("first open: %d %v", n, err)
	}
	if n, err := Shards(db, 0, 16); err != nil || n != 1024 {
		t.Fatalf("reopen with 0 keeps persisted: %d %v", n, err)
	}
	if n, err := Shards(db, 1024, 16); err != nil || n != 1024 {
		t.Fatalf("reopen same: %d %v", n, err)
	}
	if _, err := Shards(db, 16, 16); err == nil {
		t.Fatal("mismatch accepted")
	}
	if _, err := Shards(memDB(t), MaxShards, 16); err == nil {
		t.Fatal("too many shards accepted")
	}
}
