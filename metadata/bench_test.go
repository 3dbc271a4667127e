package metadata

import (
	"context"
	"io"
	"testing"

	"github.com/postbus/postbus/proto/metadatapb"
)

// BenchmarkAppend measures one synced single-message APPEND over gRPC.
func BenchmarkAppend(b *testing.B) {
	e := newEnv(b)
	e.createUser(b, "bob")
	inbox := e.mailbox(b, "bob", "INBOX")
	ctx := context.Background()
	msgs := newMessages(1, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.client.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: msgs}); err != nil {
			b.Fatal(err)
		}
	}
}

// fill appends n messages in batches of 500.
func fill(b *testing.B, e *env, mbox uint64, n int) {
	for done := 0; done < n; done += 500 {
		if _, err := e.client.Append(context.Background(), &metadatapb.AppendRequest{User: "bob", MailboxId: mbox, Messages: newMessages(min(500, n-done), done)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetch10k streams 10,000 records with meta (a FETCH 1:* FLAGS
// ENVELOPE of a large mailbox).
func BenchmarkFetch10k(b *testing.B) {
	e := newEnv(b)
	e.createUser(b, "bob")
	inbox := e.mailbox(b, "bob", "INBOX")
	fill(b, e, inbox.Id, 10000)
	ctx := context.Background()
	all := &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: 1}}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stream, err := e.client.Fetch(ctx, &metadatapb.FetchRequest{User: "bob", MailboxId: inbox.Id, Uids: all, WantMeta: true})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			resp, err := stream.Recv()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n += len(resp.Messages)
		}
		if n != 10000 {
			b.Fatalf("fetched %d", n)
		}
	}
}

// BenchmarkChanges asks for the changes of the last 100 flag updates in a
// 10,000-message mailbox: the call every session makes after a Watch event.
func BenchmarkChanges(b *testing.B) {
	e := newEnv(b)
	e.createUser(b, "bob")
	inbox := e.mailbox(b, "bob", "INBOX")
	fill(b, e, inbox.Id, 10000)
	ctx := context.Background()
	var since uint64
	for i := uint32(0); i < 100; i++ {
		resp, err := e.client.Store(ctx, &metadatapb.StoreRequest{User: "bob", MailboxId: inbox.Id, Uids: metadatapb.NewUidSet(1 + i*97), Op: metadatapb.StoreOp_STORE_ADD, Flags: []string{`\Seen`}})
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			since = resp.Modseq - 1
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := e.client.Changes(ctx, &metadatapb.ChangesRequest{User: "bob", MailboxId: inbox.Id, SinceModseq: since})
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.Changed) != 100 {
			b.Fatalf("changed %d", len(resp.Changed))
		}
	}
}
