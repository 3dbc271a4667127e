package metadata

import (
	"context"

	"github.com/postbus/postbus/metadata/internal/state"
	"github.com/postbus/postbus/proto/metadatapb"
)

// MessageMeta field numbers of the object ids (RFC 8474).
const (
	metaFieldEmailID  = 21
	metaFieldThreadID = 22
)

// fetchBatch is the number of records per FetchResponse.
const fetchBatch = 256

// Append adds messages atomically (MULTIAPPEND).
func (n *Node) Append(ctx context.Context, req *metadatapb.AppendRequest) (*metadatapb.AppendResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("Append", err)
	}
	defer release()
	resp, err := n.st.Append(req, n.nowUnix())
	return resp, n.rpcErr("Append", err)
}

// Select returns the mailbox state and UID list, claiming \Recent if asked.
func (n *Node) Select(ctx context.Context, req *metadatapb.SelectRequest) (*metadatapb.SelectResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("Select", err)
	}
	defer release()
	resp, err := n.st.Select(req)
	return resp, n.rpcErr("Select", err)
}

// Fetch streams the records of the set, ascending, fetchBatch at a time,
// all from one snapshot.
func (n *Node) Fetch(req *metadatapb.FetchRequest, stream metadatapb.Metadata_FetchServer) error {
	release, err := n.enter(req.User)
	if err != nil {
		return n.rpcErr("Fetch", err)
	}
	defer release()
	ctx := stream.Context()
	batch := make([]*metadatapb.MessageRecord, 0, fetchBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := stream.Send(&metadatapb.FetchResponse{Messages: batch})
		batch = make([]*metadatapb.MessageRecord, 0, fetchBatch)
		return err
	}
	set := req.Uids
	if set == nil {
		set = &metadatapb.UidSet{} // no set: nothing, never "all"
	}
	// Object ids live in the meta: read them, but send only the ids unless
	// the meta was asked for (a client syncing FLAGS and EMAILID of a
	// large mailbox must not pull every header block).
	fields := state.NoMeta
	if req.WantMeta {
		fields = state.MetaFieldsOf(req.MetaFields...)
	}
	if req.WantObjectIds {
		fields |= state.MetaFieldsOf(metaFieldEmailID, metaFieldThreadID)
	}
	read := state.Read{
		Meta: fields,
		// Passed on encoded (FetchRequest.raw_meta) when only the meta
		// is wanted: object ids need it decoded.
		Raw:          req.RawMeta && req.WantMeta && !req.WantObjectIds,
		ChangedSince: req.ChangedSince,
		Headers:      req.HeaderFilters,
	}
	err = n.st.MessagesRead(req.User, req.MailboxId, set, read, func(r *metadatapb.MessageRecord) error {
		if req.WantObjectIds {
			r.EmailId, r.ThreadId = r.Meta.GetEmailId(), r.Meta.GetThreadId()
		}
		if !req.WantMeta {
			r.Meta = nil
		}
		batch = append(batch, r)
		if len(batch) < fetchBatch {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return flush()
	})
	if err == nil {
		err = flush()
	}
	return n.rpcErr("Fetch", err)
}

// Store changes flags and returns the state of every message of the set.
func (n *Node) Store(ctx context.Context, req *metadatapb.StoreRequest) (*metadatapb.StoreResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("Store", err)
	}
	defer release()
	resp, err := n.st.StoreFlags(req)
	return resp, n.rpcErr("Store", err)
}

// Expunge removes \Deleted messages of the set (or all of it).
func (n *Node) Expunge(ctx context.Context, req *metadatapb.ExpungeRequest) (*metadatapb.ExpungeResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("Expunge", err)
	}
	defer release()
	resp, err := n.st.Expunge(req)
	return resp, n.rpcErr("Expunge", err)
}

// Copy copies or atomically moves messages to another mailbox.
func (n *Node) Copy(ctx context.Context, req *metadatapb.CopyRequest) (*metadatapb.CopyResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("Copy", err)
	}
	defer release()
	resp, err := n.st.Copy(req, n.nowUnix())
	return resp, n.rpcErr("Copy", err)
}

// Changes returns what changed in a mailbox after a MODSEQ.
func (n *Node) Changes(ctx context.Context, req *metadatapb.ChangesRequest) (*metadatapb.ChangesResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("Changes", err)
	}
	defer release()
	resp, err := n.st.Changes(req)
	return resp, n.rpcErr("Changes", err)
}
