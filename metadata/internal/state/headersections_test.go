package state

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/internal/headerfields"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// TestHeaderSections checks the header sections a read answers: from the
// list header when every filter names list fields only, from the stored
// header otherwise, and from the stored header too for a message whose
// list header is missing (stored before list headers existed) or of
// another list version. Every way must give the bytes the frontend's
// filter gives on the whole header.
func TestHeaderSections(t *testing.T) {
	s := testStore(t, nil)
	const user = "bob"
	if err := s.CreateUser(user, "hash", 1000); err != nil {
		t.Fatal(err)
	}
	mb, err := s.GetMailbox(user, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	headers := []string{
		"Received: from a\r\n\tby b\r\nFrom: Ann <ann@example.org>\r\nDKIM-Signature: v=1;\r\n b=xyz\r\nSubject: one\r\n two\r\nX-Custom: c\r\nTo: bob@example.org\r\n\r\n",
		"From: carl@example.org\r\nSubject: no blank line",
		"X-Only: nothing listed\r\n\r\n",
	}
	var msgs []*metadatapb.NewMessage
	for i, h := range headers {
		msgs = append(msgs, &metadatapb.NewMessage{Meta: &metadatapb.MessageMeta{BlobId: blob(i + 1), Size: uint64(len(h)), Header: []byte(h)}})
	}
	if _, err := s.Append(&metadatapb.AppendRequest{User: user, MailboxId: mb.Id, Messages: msgs}, 1000); err != nil {
		t.Fatal(err)
	}
	filters := [][]*metadatapb.HeaderFilter{
		{{Fields: []string{"FROM", "subject", "To"}}},                  // listed
		{{Fields: []string{"From"}}, {Fields: []string{"date", "cc"}}}, // listed, two sections
		{{Fields: []string{"From", "X-Custom"}}},                       // not listed
		{{Fields: []string{"Received"}, Not: true}},                    // .NOT: never listed
		{{Fields: []string{"subject"}}, {Fields: []string{"X-Only"}}},  // one listed, one not
		{{Fields: nil}}, // no names: the blank line
	}
	check := func(when string) {
		t.Helper()
		for _, fs := range filters {
			var got [][][]byte
			err := s.MessagesRead(user, mb.Id, nil, Read{Headers: fs}, func(r *metadatapb.MessageRecord) error {
				if r.Meta != nil || r.MetaRaw != nil {
					t.Errorf("%s: uid %d has meta without asking", when, r.State.Uid)
				}
				got = append(got, r.HeaderSections)
				return nil
			})
			if err != nil || len(got) != len(headers) {
				t.Fatalf("%s: %d records, %v", when, len(got), err)
			}
			for i, h := range headers {
				for j, f := range fs {
					want := headerfields.Filter(nil, []byte(h), f.Fields, f.Not)
					if string(got[i][j]) != string(want) {
						t.Errorf("%s: message %d filter %v: %q, want %q", when, i+1, f, got[i][j], want)
					}
				}
			}
		}
	}
	// Each message has its list header stored beside its meta.
	err = s.read(user, func(v *view) error {
		for i, h := range headers {
			b, ok, err := get(v.r, schema.MsgListHeaderKey(v.shard, user, mb.Id, uint32(i+1)))
			if err != nil {
				return err
			}
			if !ok || string(b) != string(headerfields.ListHeader([]byte(h))) {
				t.Errorf("message %d: list header %q", i+1, b)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	check("with list headers")

	// Message 1 loses its list header, message 2's is of another version.
	err = s.read(user, func(v *view) error {
		if err := s.db.Delete(schema.MsgListHeaderKey(v.shard, user, mb.Id, 1), pebble.Sync); err != nil {
			return err
		}
		old := append([]byte{headerfields.ListVersion + 1}, "From: wrong\r\n\r\n"...)
		return s.db.Set(schema.MsgListHeaderKey(v.shard, user, mb.Id, 2), old, pebble.Sync)
	})
	if err != nil {
		t.Fatal(err)
	}
	check("without usable list headers")

	// A current list header is what a listed filter reads: one planted
	// for message 1 is answered, where the stored header says otherwise.
	err = s.read(user, func(v *view) error {
		planted := append([]byte{headerfields.ListVersion}, "From: planted\r\n\r\n"...)
		return s.db.Set(schema.MsgListHeaderKey(v.shard, user, mb.Id, 1), planted, pebble.Sync)
	})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	err = s.MessagesRead(user, mb.Id, metadatapb.NewUidSet(1), Read{Headers: []*metadatapb.HeaderFilter{{Fields: []string{"From"}}}},
		func(r *metadatapb.MessageRecord) error { got = string(r.HeaderSections[0]); return nil })
	if err != nil || got != "From: planted\r\n\r\n" {
		t.Errorf("listed filter read %q, %v: want the list header's lines", got, err)
	}

	// Expunge removes the list header with the message.
	if _, err := s.StoreFlags(&metadatapb.StoreRequest{User: user, MailboxId: mb.Id, Uids: metadatapb.NewUidSet(3), Op: metadatapb.StoreOp_STORE_ADD, Flags: []string{`\Deleted`}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge(&metadatapb.ExpungeRequest{User: user, MailboxId: mb.Id}); err != nil {
		t.Fatal(err)
	}
	err = s.read(user, func(v *view) error {
		_, ok, err := get(v.r, schema.MsgListHeaderKey(v.shard, user, mb.Id, 3))
		if ok {
			t.Error("list header of an expunged message is still there")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
