package metadata

import (
	"context"

	"github.com/postbus/postbus/proto/metadatapb"
)

// ListMailboxes returns every mailbox with its counters, sorted by name,
// and every subscribed name.
func (n *Node) ListMailboxes(ctx context.Context, req *metadatapb.ListMailboxesRequest) (*metadatapb.ListMailboxesResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("ListMailboxes", err)
	}
	defer release()
	boxes, subs, err := n.st.ListMailboxes(req.User)
	if err != nil {
		return nil, n.rpcErr("ListMailboxes", err)
	}
	return &metadatapb.ListMailboxesResponse{Mailboxes: boxes, Subscribed: subs}, nil
}

// GetMailbox returns one mailbox by name (INBOX case-insensitively).
func (n *Node) GetMailbox(ctx context.Context, req *metadatapb.GetMailboxRequest) (*metadatapb.Mailbox, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("GetMailbox", err)
	}
	defer release()
	mb, err := n.st.GetMailbox(req.User, req.Name)
	return mb, n.rpcErr("GetMailbox", err)
}

// CreateMailbox creates a mailbox and its missing parents.
func (n *Node) CreateMailbox(ctx context.Context, req *metadatapb.CreateMailboxRequest) (*metadatapb.Mailbox, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("CreateMailbox", err)
	}
	defer release()
	mb, err := n.st.CreateMailbox(req.User, req.Name, req.SpecialUse, n.nowUnix())
	return mb, n.rpcErr("CreateMailbox", err)
}

// DeleteMailbox deletes a childless mailbox other than INBOX.
func (n *Node) DeleteMailbox(ctx context.Context, req *metadatapb.DeleteMailboxRequest) (*metadatapb.Empty, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("DeleteMailbox", err)
	}
	defer release()
	return &metadatapb.Empty{}, n.rpcErr("DeleteMailbox", n.st.DeleteMailbox(req.User, req.Name))
}

// RenameMailbox renames a mailbox and its children (INBOX specially).
func (n *Node) RenameMailbox(ctx context.Context, req *metadatapb.RenameMailboxRequest) (*metadatapb.Empty, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("RenameMailbox", err)
	}
	defer release()
	return &metadatapb.Empty{}, n.rpcErr("RenameMailbox", n.st.RenameMailbox(req.User, req.From, req.To, n.nowUnix()))
}

// SetSubscribed subscribes or unsubscribes a (possibly missing) name.
func (n *Node) SetSubscribed(ctx context.Context, req *metadatapb.SetSubscribedRequest) (*metadatapb.Empty, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("SetSubscribed", err)
	}
	defer release()
	return &metadatapb.Empty{}, n.rpcErr("SetSubscribed", n.st.SetSubscribed(req.User, req.Name, req.Subscribed))
}
