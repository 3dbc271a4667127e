package metadata

import (
	"context"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/metadata/internal/state"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Admin is the node's Admin service (proto/metadata.proto): the RPCs an
// administrator's tool and the blob garbage collector call on one node.
// Register it beside the Metadata service: metadatapb.RegisterAdminServer(
// gs, node.Admin()).
type Admin struct {
	metadatapb.UnimplementedAdminServer
	n *Node
}

var _ metadatapb.AdminServer = (*Admin)(nil)

// Admin returns the node's Admin service.
func (n *Node) Admin() *Admin { return &Admin{n: n} }

// enterNode admits a node-level RPC (no user): it fails once the node is
// closed; the caller must call release.
func (n *Node) enterNode() (func(), error) {
	n.mu.RLock()
	if n.mu.closed {
		n.mu.RUnlock()
		return nil, ErrClosed
	}
	return n.mu.RUnlock, nil
}

// Logout ends every session of the user on every frontend: Watch streams
// carry an event with logout set, and frontends say BYE.
func (a *Admin) Logout(ctx context.Context, req *metadatapb.LogoutRequest) (*metadatapb.Empty, error) {
	n := a.n
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("Logout", err)
	}
	defer release()
	if _, err := n.st.PasswordHash(req.User); err != nil {
		return nil, n.rpcErr("Logout", err)
	}
	n.hub.Publish(req.User, hub.Event{MailboxID: state.LogoutMailbox})
	n.log.Info("metadata: user logged out by an administrator", "user", req.User)
	return &metadatapb.Empty{}, nil
}

// RenameUser moves a user to a new name (state.Store.RenameUser) and logs
// the old name's sessions out.
func (a *Admin) RenameUser(ctx context.Context, req *metadatapb.RenameUserRequest) (*metadatapb.Empty, error) {
	n := a.n
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("RenameUser", err)
	}
	defer release()
	if err := n.st.RenameUser(req.User, req.NewName); err != nil {
		return nil, n.rpcErr("RenameUser", err)
	}
	n.log.Info("metadata: user renamed", "user", req.User, "new_name", req.NewName)
	return &metadatapb.Empty{}, nil
}

// NodeStatus describes the store.
func (a *Admin) NodeStatus(ctx context.Context, _ *metadatapb.NodeStatusRequest) (*metadatapb.NodeStatusResponse, error) {
	n := a.n
	release, err := n.enterNode()
	if err != nil {
		return nil, n.rpcErr("NodeStatus", err)
	}
	defer release()
	users, err := n.st.ListUsers()
	if err != nil {
		return nil, n.rpcErr("NodeStatus", err)
	}
	return &metadatapb.NodeStatusResponse{
		Shards:        n.shards,
		SchemaVersion: schema.Version,
		Users:         uint64(len(users)),
		DiskBytes:     n.db.Metrics().DiskSpaceUsage(),
		BlobStore:     describeBlobs(n.blobs),
	}, nil
}

// describeBlobs names a blob store for status output; wrappers (metrics)
// are looked through when they have an Unwrap method.
func describeBlobs(s blobstore.Store) string {
	for range 8 {
		switch b := s.(type) {
		case nil:
			return ""
		case *blobstore.Dir:
			return "dir:" + b.Root()
		case *blobstore.S3:
			return "s3://" + b.Bucket()
		case interface{ Unwrap() blobstore.Store }:
			s = b.Unwrap()
			continue
		}
		break
	}
	return "" // a wrapper that does not say what it wraps
}

// changeEvent is the Watch message of a hub event.
func changeEvent(e hub.Event) *metadatapb.ChangeEvent {
	if e.MailboxID == state.LogoutMailbox {
		return &metadatapb.ChangeEvent{Logout: true}
	}
	return &metadatapb.ChangeEvent{MailboxId: e.MailboxID, Modseq: e.ModSeq, MailboxesChanged: e.MailboxesChanged}
}
