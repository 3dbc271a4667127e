package metadata

import (
	"context"
	"fmt"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Bounds on one annotation request, so that a request (and the answer to
// it) stays far from gRPC's 4 MiB message limit. The frontend splits a
// LIST RETURN (METADATA) of many mailboxes into requests of at most
// maxMetadataMailboxes.
const (
	maxMetadataMailboxes = 256
	maxMetadataEntries   = 256
)

// GetMetadata returns the annotations of mailboxes or of the server (RFC
// 5464 §4.2; internal/state/annotations.go).
func (n *Node) GetMetadata(ctx context.Context, req *metadatapb.GetMetadataRequest) (*metadatapb.GetMetadataResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("GetMetadata", err)
	}
	defer release()
	if len(req.Mailboxes) > maxMetadataMailboxes || len(req.Entries) > maxMetadataEntries {
		return nil, n.rpcErr("GetMetadata", fmt.Errorf("metadata: GetMetadata of %d mailboxes × %d entries: %w",
			len(req.Mailboxes), len(req.Entries), base.ErrInvalidArgument))
	}
	resp, err := n.st.GetMetadata(req)
	return resp, n.rpcErr("GetMetadata", err)
}

// SetMetadata sets or deletes annotations of one mailbox or of the server
// (RFC 5464 §4.3), all or nothing; a limit reached is reported in the
// response, not as an error.
func (n *Node) SetMetadata(ctx context.Context, req *metadatapb.SetMetadataRequest) (*metadatapb.SetMetadataResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("SetMetadata", err)
	}
	defer release()
	if len(req.Entries) > maxMetadataEntries {
		return nil, n.rpcErr("SetMetadata", fmt.Errorf("metadata: SetMetadata of %d entries: %w", len(req.Entries), base.ErrInvalidArgument))
	}
	resp, err := n.st.SetMetadata(req)
	return resp, n.rpcErr("SetMetadata", err)
}
