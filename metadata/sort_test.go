package metadata

import (
	"context"
	"slices"
	"testing"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// The RPC side of SORT and THREAD: the search restricts, the node orders
// and flattens (the algorithms' own tables are in internal/threading).
func TestSortThreadRPC(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	e.createUser(t, "bob")
	inbox := e.mailbox(t, "bob", "INBOX")
	msg := func(blob int, subject, id string, refs []string, sent int64, size uint64) *metadatapb.NewMessage {
		return &metadatapb.NewMessage{Meta: &metadatapb.MessageMeta{
			BlobId: blobID(blob), Subject: subject, MessageId: id, References: refs, SentDate: sent, Size: size,
		}}
	}
	must(c.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: []*metadatapb.NewMessage{
		msg(1, "b", "m1", nil, 30, 300),                // uid 1
		msg(2, "Re: b", "m2", []string{"m1"}, 40, 100), // uid 2
		msg(3, "a", "m3", nil, 10, 200),                // uid 3
		msg(4, "x", "m4", []string{"m2"}, 50, 100),     // uid 4: child of 2
	}}))
	all := &metadatapb.SearchKey{Key: &metadatapb.SearchKey_All{All: true}}
	sorted := func(key *metadatapb.SearchKey, crit ...*metadatapb.SortCriterion) []uint32 {
		t.Helper()
		return must(c.Sort(ctx, &metadatapb.SortRequest{User: "bob", MailboxId: inbox.Id, Key: key, Criteria: crit})).Uids
	}
	if got := sorted(all, &metadatapb.SortCriterion{By: metadatapb.SortBy_SORT_SUBJECT}); !slices.Equal(got, []uint32{3, 1, 2, 4}) {
		t.Errorf("SUBJECT: %v", got)
	}
	if got := sorted(all, &metadatapb.SortCriterion{By: metadatapb.SortBy_SORT_SIZE, Reverse: true}); !slices.Equal(got, []uint32{1, 3, 2, 4}) {
		t.Errorf("REVERSE SIZE: %v", got)
	}
	some := &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Uids{Uids: &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: 2, Stop: 3}}}}}
	if got := sorted(some, &metadatapb.SortCriterion{By: metadatapb.SortBy_SORT_DATE}); !slices.Equal(got, []uint32{3, 2}) {
		t.Errorf("DATE of 2:3: %v", got)
	}

	th := must(c.Thread(ctx, &metadatapb.ThreadRequest{User: "bob", MailboxId: inbox.Id, Key: all, Algorithm: metadatapb.ThreadAlgorithm_THREAD_REFERENCES}))
	// Preorder: 3 alone (sent first), then 1 → 2 → 4.
	if !slices.Equal(th.Uids, []uint32{3, 1, 2, 4}) || !slices.Equal(th.ChildCounts, []uint32{0, 1, 1, 0}) {
		t.Errorf("REFERENCES: uids %v counts %v", th.Uids, th.ChildCounts)
	}
	th = must(c.Thread(ctx, &metadatapb.ThreadRequest{User: "bob", MailboxId: inbox.Id, Key: all, Algorithm: metadatapb.ThreadAlgorithm_THREAD_ORDEREDSUBJECT}))
	// Subjects a (3), b (1, 2), x (4), threads by first sent date.
	if !slices.Equal(th.Uids, []uint32{3, 1, 2, 4}) || !slices.Equal(th.ChildCounts, []uint32{0, 1, 0, 0}) {
		t.Errorf("ORDEREDSUBJECT: uids %v counts %v", th.Uids, th.ChildCounts)
	}

	_, err := c.Sort(ctx, &metadatapb.SortRequest{User: "bob", MailboxId: inbox.Id, Key: all})
	isErr(t, err, base.ErrInvalidArgument)
	_, err = c.Sort(ctx, &metadatapb.SortRequest{User: "bob", MailboxId: inbox.Id, Key: all, Criteria: []*metadatapb.SortCriterion{{By: 99}}})
	isErr(t, err, base.ErrInvalidArgument)
	_, err = c.Sort(ctx, &metadatapb.SortRequest{User: "bob", MailboxId: inbox.Id, Criteria: []*metadatapb.SortCriterion{{}}})
	isErr(t, err, base.ErrInvalidArgument)
	_, err = c.Thread(ctx, &metadatapb.ThreadRequest{User: "bob", MailboxId: inbox.Id, Key: all, Algorithm: 7})
	isErr(t, err, base.ErrInvalidArgument)
	_, err = c.Thread(ctx, &metadatapb.ThreadRequest{User: "bob", MailboxId: 999, Key: all})
	isErr(t, err, base.ErrNoSuchMailbox)
	_, err = c.Sort(ctx, &metadatapb.SortRequest{User: "nobody", MailboxId: inbox.Id, Key: all, Criteria: []*metadatapb.SortCriterion{{}}})
	isErr(t, err, base.ErrNoSuchUser)
}
