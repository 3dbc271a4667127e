package metadata

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/search"
	"github.com/postbus/postbus/metadata/internal/state"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Search evaluates a criteria tree over every message of a mailbox, from
// one snapshot, and returns the matching UIDs ascending with the highest
// modseq among them (RFC 7162 §3.1.5). Meta is read only when the compiled
// matcher needs it; bodies only for BODY/TEXT (package search), and only
// of the candidates the body index lets through (searchSet), which are
// still matched exactly.
func (n *Node) Search(ctx context.Context, req *metadatapb.SearchRequest) (*metadatapb.SearchResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("Search", err)
	}
	defer release()
	if req.Key == nil {
		return nil, n.rpcErr("Search", fmt.Errorf("metadata: search without key: %w", base.ErrInvalidArgument))
	}
	m, err := search.Compile(req.Key, time.Unix(req.Now, 0))
	if err != nil {
		return nil, n.rpcErr("Search", err)
	}
	var bodies search.BodySource = noBodies{}
	if n.blobs != nil {
		bodies = n.blobs
	}
	resp := &metadatapb.SearchResponse{}
	var msg search.Message
	var sum search.Summary
	// Candidates from the body index narrow a BODY/TEXT search (nil: all).
	set := n.searchSet(req.User, req.MailboxId, m)
	err = n.st.Scan(req.User, req.MailboxId, set, searchFields(m), m.NeedsDigest(), func(r *state.ScanMsg) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		searchMessage(&msg, &sum, r)
		ok, err := m.Match(ctx, &msg, bodies)
		if err != nil {
			return fmt.Errorf("metadata: search uid %d: %w", msg.UID, err)
		}
		if ok {
			resp.Uids = append(resp.Uids, msg.UID)
			resp.HighestModseq = max(resp.HighestModseq, msg.ModSeq)
		}
		return nil
	})
	if err != nil {
		return nil, n.rpcErr("Search", err)
	}
	return resp, nil
}

// searchMessage fills msg (and sum, which it points to) from a scanned
// message, without allocating.
func searchMessage(msg *search.Message, sum *search.Summary, r *state.ScanMsg) {
	*sum = search.Summary{
		Size: r.Size, InternalDate: r.Dates.Internal, InternalZone: r.Dates.InternalZone,
		SaveDate: r.Dates.Save, SentDate: r.Dates.Sent, SentZone: r.Dates.SentZone,
	}
	*msg = search.Message{UID: r.UID, ModSeq: r.ModSeq, Flags: r.Flags, Summary: sum, Digest: r.Digest, Meta: r.Meta}
}

// searchFields is what the store must decode of each message for m.
func searchFields(m *search.Matcher) state.MetaFields {
	if !m.NeedsMeta() {
		return state.NoMeta
	}
	return state.MetaFieldsOf(m.MetaFields()...)
}

// noBodies is the body source of a node without a blob store.
type noBodies struct{}

func (noBodies) Open(context.Context, string, int64, int64) (io.ReadCloser, error) {
	return nil, fmt.Errorf("metadata: no blob store configured: %w", base.ErrUnavailable)
}
