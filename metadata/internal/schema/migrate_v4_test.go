package schema

import (
	"errors"
	"reflect"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/proto/metadatapb"
)

func TestMetaDates(t *testing.T) {
	raw := protoField(t, &metadatapb.MessageMeta{
		BlobId: blobHex('a'), Size: 10, InternalDate: 1764000000, InternalDateZone: -5 * 3600,
		SaveDate: 1764000009, Header: []byte("Date: x\r\n\r\n"), SentDate: -3600, SentDateZone: 3600,
		References: []string{"<a@b>"},
	})
	want := MsgDates{Internal: 1764000000, InternalZone: -5 * 3600, Save: 1764000009, Sent: -3600, SentZone: 3600}
	if got, err := MetaDates(raw); err != nil || got != want {
		t.Fatalf("MetaDates = %+v, %v; want %+v", got, err, want)
	}
	if _, err := MetaDates(raw[:len(raw)-2]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated meta: %v", err)
	}
}

func TestMigrateV3AddsStateDates(t *testing.T) {
	db := memDB(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Set(VersionKey(), EncodeU32(3), pebble.Sync))
	must(db.Set(ShardsKey(), EncodeU32(8), pebble.Sync))
	type msg struct {
		shard uint32
		user  string
		uid   uint32
		dates MsgDates
	}
	msgs := []msg{
		{0, "a", 1, MsgDates{Internal: 100, InternalZone: 3600, Save: 101}},
		{0, "a", 2, MsgDates{Internal: 200, Save: 201, Sent: 150, SentZone: -1800}},
		{7, "b", 9, MsgDates{Internal: 300, Save: 301}},
	}
	for _, m := range msgs {
		st := MsgState{ModSeq: uint64(m.uid), Size: 10, System: FlagSeen, Keywords: []string{"$x"}}
		must(db.Set(MsgStateKey(m.shard, m.user, 1, m.uid), st.Encode(), pebble.Sync))
		must(db.Set(MsgMetaKey(m.shard, m.user, 1, m.uid), protoField(t, &metadatapb.MessageMeta{
			BlobId: blobHex('1'), Size: 10, InternalDate: m.dates.Internal, InternalDateZone: m.dates.InternalZone,
			SaveDate: m.dates.Save, SentDate: m.dates.Sent, SentDateZone: m.dates.SentZone,
		}), pebble.Sync))
	}
	if from, err := Migrate(db); err != nil || from != 3 {
		t.Fatalf("migrate: %d %v", from, err)
	}
	for _, m := range msgs {
		v, c, err := db.Get(MsgStateKey(m.shard, m.user, 1, m.uid))
		must(err)
		st, err := DecodeMsgState(v)
		c.Close()
		must(err)
		want := MsgState{ModSeq: uint64(m.uid), Size: 10, System: FlagSeen, Keywords: []string{"$x"}, HasDates: true, Dates: m.dates}
		if !reflect.DeepEqual(st, want) {
			t.Errorf("state of %+v after migration = %+v", m, st)
		}
	}

	// A state without its meta fails the migration rather than leaving a
	// record without dates.
	db2 := memDB(t)
	must(db2.Set(VersionKey(), EncodeU32(3), pebble.Sync))
	must(db2.Set(ShardsKey(), EncodeU32(2), pebble.Sync))
	must(db2.Set(MsgStateKey(1, "c", 1, 1), (&MsgState{ModSeq: 1}).Encode(), pebble.Sync))
	if _, err := Migrate(db2); err == nil {
		t.Fatal("migration of a state without meta succeeded")
	}
	if v, _, err := getU32(db2, VersionKey()); err != nil || v != 3 {
		t.Fatalf("version after a failed migration = %d %v, want 3", v, err)
	}
}
