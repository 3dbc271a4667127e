package metadata

import (
	"context"
	"io"
	"testing"

	"github.com/postbus/postbus/proto/metadatapb"
)

// TestFetchObjectIDs checks FetchRequest.want_object_ids over gRPC: the
// ids come without the meta unless the meta is asked for too, and they are
// the ones stored in the meta.
func TestFetchObjectIDs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.createUser(t, "bob")
	inbox := e.mailbox(t, "bob", "INBOX")
	must(e.client.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: newMessages(3, 0)}))
	fetch := func(meta, ids bool) []*metadatapb.MessageRecord {
		stream := must(e.client.Fetch(ctx, &metadatapb.FetchRequest{User: "bob", MailboxId: inbox.Id,
			Uids: metadatapb.NewUidSet(1, 2, 3), WantMeta: meta, WantObjectIds: ids}))
		var out []*metadatapb.MessageRecord
		for {
			resp, err := stream.Recv()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, resp.Messages...)
		}
	}
	withMeta := fetch(true, false)
	idsOnly := fetch(false, true)
	both := fetch(true, true)
	neither := fetch(false, false)
	if len(withMeta) != 3 || len(idsOnly) != 3 || len(both) != 3 || len(neither) != 3 {
		t.Fatalf("records %d %d %d %d", len(withMeta), len(idsOnly), len(both), len(neither))
	}
	for i := range withMeta {
		m := withMeta[i].Meta
		if m.EmailId == "" || m.ThreadId == "" || withMeta[i].EmailId != "" {
			t.Errorf("want_meta only: meta ids %q %q, record id %q", m.EmailId, m.ThreadId, withMeta[i].EmailId)
		}
		if r := idsOnly[i]; r.Meta != nil || r.EmailId != m.EmailId || r.ThreadId != m.ThreadId {
			t.Errorf("want_object_ids only: %v", r)
		}
		if r := both[i]; r.Meta == nil || r.EmailId != m.EmailId {
			t.Errorf("both: %v", r)
		}
		if r := neither[i]; r.Meta != nil || r.EmailId != "" {
			t.Errorf("neither: %v", r)
		}
	}
}
