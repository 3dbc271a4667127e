package metadata

import (
	"context"
	"fmt"
	"testing"

	"github.com/postbus/postbus/proto/metadatapb"
)

// BenchmarkScaling measures SELECT and a flag-and-date SEARCH on the node
// (over gRPC, as a cluster's frontend calls them) for mailboxes of 1k to
// 1M messages, cold and warm (see below),
// to show how their cost grows with mailbox size (issue 5: linear with a
// small constant at most). The 1M case fills its mailbox first, which
// takes a minute or two; run it alone with
//
//	go test -run '^$' -bench 'Scaling' -benchtime 20x ./metadata/
func BenchmarkScaling(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			e := newEnv(b)
			e.createUser(b, "bob")
			inbox := e.mailbox(b, "bob", "INBOX")
			fillRealistic(b, e, inbox.Id, n)
			ctx := context.Background()
			// UNSEEN SINCE 1-Jan-2026: the search-flags workload's shape.
			key := &metadatapb.SearchKey{Key: &metadatapb.SearchKey_And{And: &metadatapb.SearchKeys{Keys: []*metadatapb.SearchKey{
				{Key: &metadatapb.SearchKey_Not{Not: &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Flag{Flag: `\Seen`}}}},
				{Key: &metadatapb.SearchKey_InternalDate{InternalDate: &metadatapb.DateMatch{Op: metadatapb.DateOp_DATE_SINCE, Year: 2026, Month: 1, Day: 1}}},
			}}}}
			// cold: every call reads the states from Pebble (the state
			// cache is dropped first), as the first SELECT or SEARCH after
			// a change does; warm: from the state cache, as the ones after
			// it do (mailboxes above state.DefaultStateCacheMessages are
			// never cached: warm equals cold there).
			for _, cold := range []bool{true, false} {
				mode := "warm"
				if cold {
					mode = "cold"
				}
				prepare := func() {
					if cold {
						e.node.st.Invalidate()
					}
				}
				b.Run("select/"+mode, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						prepare()
						resp, err := e.client.Select(ctx, &metadatapb.SelectRequest{User: "bob", MailboxId: inbox.Id})
						if err != nil || len(resp.Uids) != n {
							b.Fatalf("select: %d uids, %v", len(resp.GetUids()), err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/message")
				})
				b.Run("search-flags/"+mode, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						prepare()
						resp, err := e.client.Search(ctx, &metadatapb.SearchRequest{User: "bob", MailboxId: inbox.Id, Key: key})
						if err != nil || len(resp.Uids) == 0 {
							b.Fatalf("search: %d uids, %v", len(resp.GetUids()), err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/message")
				})
			}
		})
	}
}

// fillRealistic appends n messages in batches of 1000 with the flag mix of
// the bench corpus (70 % \Seen, 10 % \Flagged) and internal dates spread
// over 2025–2026.
func fillRealistic(b *testing.B, e *env, mbox uint64, n int) {
	const batch = 1000
	base := int64(1735689600) // 2025-01-01
	for done := 0; done < n; done += batch {
		msgs := make([]*metadatapb.NewMessage, min(batch, n-done))
		for i := range msgs {
			k := done + i
			var flags []string
			if k%10 < 7 {
				flags = append(flags, `\Seen`)
			}
			if k%10 == 7 {
				flags = append(flags, `\Flagged`)
			}
			msgs[i] = &metadatapb.NewMessage{Flags: flags, Meta: &metadatapb.MessageMeta{
				BlobId: blobID(k), Size: uint64(2000 + k%20000), InternalDate: base + int64(k)*(2*365*86400)/int64(n),
				Subject: fmt.Sprintf("message %d", k), Envelope: []byte(`(NIL "message" NIL NIL NIL NIL NIL NIL NIL NIL)`),
				Header: []byte(fmt.Sprintf("Subject: message %d\r\nFrom: a@example.org\r\n\r\n", k)),
			}}
		}
		if _, err := e.client.Append(context.Background(), &metadatapb.AppendRequest{User: "bob", MailboxId: mbox, Messages: msgs}); err != nil {
			b.Fatal(err)
		}
	}
}
