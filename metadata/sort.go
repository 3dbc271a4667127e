package metadata

import (
	"context"
	"fmt"
	"time"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/search"
	"github.com/postbus/postbus/metadata/internal/state"
	"github.com/postbus/postbus/metadata/internal/threading"
	"github.com/postbus/postbus/proto/metadatapb"
)

// sortBy maps the wire sort keys to the threading criteria.
var sortBy = map[metadatapb.SortBy]threading.Criterion{
	metadatapb.SortBy_SORT_ARRIVAL: threading.Arrival, metadatapb.SortBy_SORT_CC: threading.Cc,
	metadatapb.SortBy_SORT_DATE: threading.Date, metadatapb.SortBy_SORT_FROM: threading.From,
	metadatapb.SortBy_SORT_SIZE: threading.Size, metadatapb.SortBy_SORT_SUBJECT: threading.Subject,
	metadatapb.SortBy_SORT_TO: threading.To, metadatapb.SortBy_SORT_DISPLAYFROM: threading.DisplayFrom,
	metadatapb.SortBy_SORT_DISPLAYTO: threading.DisplayTo,
}

// Sort is Search followed by the RFC 5256 §3 sort program, evaluated here
// so that only UIDs cross the network.
func (n *Node) Sort(ctx context.Context, req *metadatapb.SortRequest) (*metadatapb.SortResponse, error) {
	if len(req.Criteria) == 0 {
		return nil, n.rpcErr("Sort", fmt.Errorf("metadata: sort without criteria: %w", base.ErrInvalidArgument))
	}
	program := make([]threading.Key, len(req.Criteria))
	for i, c := range req.Criteria {
		by, ok := sortBy[c.By]
		if !ok {
			return nil, n.rpcErr("Sort", fmt.Errorf("metadata: unknown sort key %d: %w", c.By, base.ErrInvalidArgument))
		}
		program[i] = threading.Key{By: by, Reverse: c.Reverse}
	}
	msgs, err := n.matching(ctx, req.User, req.MailboxId, req.Key, req.Now)
	if err != nil {
		return nil, n.rpcErr("Sort", err)
	}
	uids, err := threading.Sort(msgs, program)
	if err != nil {
		return nil, n.rpcErr("Sort", fmt.Errorf("metadata: %w: %w", err, base.ErrInvalidArgument))
	}
	return &metadatapb.SortResponse{Uids: uids}, nil
}

// Thread is Search followed by an RFC 5256 §3 threading algorithm; the
// forest goes back flat, in preorder (see ThreadResponse).
func (n *Node) Thread(ctx context.Context, req *metadatapb.ThreadRequest) (*metadatapb.ThreadResponse, error) {
	var algo func([]threading.Msg) []*threading.Node
	switch req.Algorithm {
	case metadatapb.ThreadAlgorithm_THREAD_ORDEREDSUBJECT:
		algo = threading.OrderedSubject
	case metadatapb.ThreadAlgorithm_THREAD_REFERENCES:
		algo = threading.References
	default:
		return nil, n.rpcErr("Thread", fmt.Errorf("metadata: unknown thread algorithm %d: %w", req.Algorithm, base.ErrInvalidArgument))
	}
	msgs, err := n.matching(ctx, req.User, req.MailboxId, req.Key, req.Now)
	if err != nil {
		return nil, n.rpcErr("Thread", err)
	}
	resp := &metadatapb.ThreadResponse{}
	// An explicit stack: reply chains can be as long as the mailbox.
	stack := algo(msgs)
	for i, j := 0, len(stack)-1; i < j; i, j = i+1, j-1 {
		stack[i], stack[j] = stack[j], stack[i]
	}
	for len(stack) > 0 {
		nd := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		resp.Uids = append(resp.Uids, nd.UID)
		resp.ChildCounts = append(resp.ChildCounts, uint32(len(nd.Children)))
		for k := len(nd.Children) - 1; k >= 0; k-- {
			stack = append(stack, nd.Children[k])
		}
	}
	return resp, nil
}

// matching evaluates a search key over a mailbox from one snapshot, as
// Search does, and returns what sorting and threading need of each match,
// in UID order.
func (n *Node) matching(ctx context.Context, user string, mbox uint64, key *metadatapb.SearchKey, now int64) ([]threading.Msg, error) {
	release, err := n.enter(user)
	if err != nil {
		return nil, err
	}
	defer release()
	if key == nil {
		return nil, fmt.Errorf("metadata: search without key: %w", base.ErrInvalidArgument)
	}
	m, err := search.Compile(key, time.Unix(now, 0))
	if err != nil {
		return nil, err
	}
	var bodies search.BodySource = noBodies{}
	if n.blobs != nil {
		bodies = n.blobs
	}
	var out []threading.Msg
	// sortFieldNumbers are the MessageMeta fields threading.Msg is made
	// of besides the size and dates (from the state): envelope, subject,
	// from, to, cc, message-id, in-reply-to, references.
	sortFieldNumbers := []uint32{6, 14, 15, 16, 17, 18, 19, 20}
	fields := state.MetaFieldsOf(sortFieldNumbers...)
	if m.NeedsMeta() {
		fields |= searchFields(m)
	}
	var msg search.Message
	var sum search.Summary
	err = n.st.Scan(user, mbox, n.searchSet(user, mbox, m), fields, m.NeedsDigest(), func(r *state.ScanMsg) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		searchMessage(&msg, &sum, r)
		ok, err := m.Match(ctx, &msg, bodies)
		if err != nil {
			return fmt.Errorf("metadata: search uid %d: %w", msg.UID, err)
		}
		if !ok {
			return nil
		}
		md := r.Meta
		if md == nil {
			return fmt.Errorf("metadata: uid %d has no meta", msg.UID)
		}
		out = append(out, threading.Msg{
			UID: msg.UID, Subject: md.Subject, From: md.From, To: md.To, Cc: md.Cc,
			SentDate: r.Dates.Sent, InternalDate: r.Dates.Internal, Size: r.Size,
			MessageID: md.MessageId, InReplyTo: md.InReplyTo, References: md.References, Envelope: md.Envelope,
		})
		return nil
	})
	return out, err
}
