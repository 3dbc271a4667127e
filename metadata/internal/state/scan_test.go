package state

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/metadata/internal/search"
	"github.com/postbus/postbus/proto/metadatapb"
)

func TestScanGivesStateDates(t *testing.T) {
	s := testStore(t, nil)
	const user = "bob"
	if err := s.CreateUser(user, "hash", 1000); err != nil {
		t.Fatal(err)
	}
	mbox := func(name string) uint64 {
		t.Helper()
		mb, err := s.GetMailbox(user, name)
		if err != nil {
			t.Fatal(err)
		}
		return mb.Id
	}
	inbox, arch := mbox("INBOX"), mbox("Archive")
	_, err := s.Append(&metadatapb.AppendRequest{User: user, MailboxId: inbox, Messages: []*metadatapb.NewMessage{
		{Meta: &metadatapb.MessageMeta{BlobId: blob(1), Size: 10, InternalDate: 500, InternalDateZone: -3600, SentDate: 400, SentDateZone: 7200, Header: []byte("A: b\r\n\r\n")}, Flags: []string{`\Seen`}},
		{Meta: &metadatapb.MessageMeta{BlobId: blob(2), Size: 20, Header: []byte("From: x\r\n\r\n")}, Flags: []string{"$Junk"}},
	}}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Copy(&metadatapb.CopyRequest{User: user, MailboxId: inbox, DestMailboxId: arch, Uids: metadatapb.NewUidSet(1)}, 2000); err != nil {
		t.Fatal(err)
	}
	collect := func(mb uint64, f MetaFields) []ScanMsg {
		t.Helper()
		var out []ScanMsg
		if err := s.Scan(user, mb, nil, f, false, func(m *ScanMsg) error { out = append(out, *m); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := collect(inbox, NoMeta)
	if len(got) != 2 {
		t.Fatalf("scan of INBOX: %d messages", len(got))
	}
	// Append fills a missing internal and save date with now (1000).
	want0 := schema.MsgDates{Internal: 500, InternalZone: -3600, Save: 1000, Sent: 400, SentZone: 7200}
	if m := got[0]; m.UID != 1 || m.Size != 10 || m.Dates != want0 || len(m.Flags) != 1 || m.Flags[0] != `\Seen` || m.Meta != nil {
		t.Errorf("uid 1: %+v", m)
	}
	if m := got[1]; m.Dates != (schema.MsgDates{Internal: 1000, Save: 1000}) || len(m.Flags) != 1 || m.Flags[0] != "$Junk" {
		t.Errorf("uid 2: %+v", m)
	}
	// A copy keeps the dates but is saved anew (RFC 8514).
	want0.Save = 2000
	if got := collect(arch, NoMeta); len(got) != 1 || got[0].Dates != want0 {
		t.Errorf("copy: %+v", got)
	}
	// The selected meta fields come along (valid during the call only:
	// the header is read in place).
	for _, f := range []MetaFields{MetaFieldsOf(9), MetaFieldsOf(9, 1)} {
		var hdrs, blobs []string
		err := s.Scan(user, inbox, nil, f, false, func(m *ScanMsg) error {
			hdrs, blobs = append(hdrs, string(m.Meta.GetHeader())), append(blobs, m.Meta.GetBlobId())
			return nil
		})
		wantBlobs := []string{"", ""}
		if f.Has(1) {
			wantBlobs = []string{blob(1), blob(2)}
		}
		if err != nil || hdrs[0] != "A: b\r\n\r\n" || hdrs[1] != "From: x\r\n\r\n" || blobs[0] != wantBlobs[0] || blobs[1] != wantBlobs[1] {
			t.Errorf("scan with fields %x: headers %q, blobs %q, %v", uint64(f), hdrs, blobs, err)
		}
	}

	// With digest, each message comes with its digest; one stored without
	// (before digests existed) with its header instead, whatever else is
	// selected.
	err = s.read(user, func(v *view) error {
		return s.db.Delete(schema.MsgDigestKey(v.shard, user, inbox, 2), pebble.Sync)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []MetaFields{NoMeta, MetaFieldsOf(6)} {
		var digests, hdrs []string
		err := s.Scan(user, inbox, nil, f, true, func(m *ScanMsg) error {
			digests, hdrs = append(digests, string(m.Digest)), append(hdrs, string(m.Meta.GetHeader()))
			return nil
		})
		if err != nil || len(digests) != 2 {
			t.Fatalf("scan with digests: %q %v", digests, err)
		}
		if digests[0] != string(search.Digest([]byte("A: b\r\n\r\n"))) || hdrs[0] != "" {
			t.Errorf("fields %x: uid 1 digest %q header %q", uint64(f), digests[0], hdrs[0])
		}
		if digests[1] != "" || hdrs[1] != "From: x\r\n\r\n" {
			t.Errorf("fields %x: uid 2 (no digest) digest %q header %q", uint64(f), digests[1], hdrs[1])
		}
	}

	// A state record without dates (format 1) has them read from its meta.
	err = s.read(user, func(v *view) error {
		k := schema.MsgStateKey(v.shard, user, inbox, 1)
		old := schema.MsgState{ModSeq: 1, Size: 10, System: schema.FlagSeen}
		return s.db.Set(k, old.Encode(), pebble.Sync)
	})
	if err != nil {
		t.Fatal(err)
	}
	want0.Save = 1000
	if got := collect(inbox, NoMeta); got[0].Dates != want0 {
		t.Errorf("format 1 state: dates %+v, want %+v", got[0].Dates, want0)
	}
}
