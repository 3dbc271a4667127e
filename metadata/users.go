package metadata

import (
	"context"
	"errors"
	"fmt"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/password"
	"github.com/postbus/postbus/proto/metadatapb"
)

const maxPasswordLen = 1024

func checkPassword(pw string) error {
	if pw == "" || len(pw) > maxPasswordLen {
		return fmt.Errorf("metadata: password must be 1 to %d bytes: %w", maxPasswordLen, base.ErrInvalidArgument)
	}
	return nil
}

// CreateUser creates a user with INBOX and the special-use mailboxes
// Drafts, Sent, Trash, Junk and Archive, all subscribed.
func (n *Node) CreateUser(ctx context.Context, req *metadatapb.CreateUserRequest) (*metadatapb.CreateUserResponse, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("CreateUser", err)
	}
	defer release()
	if err := checkPassword(req.Password); err != nil {
		return nil, n.rpcErr("CreateUser", err)
	}
	// Hashing is salted with randomness, so it happens here, before the
	// deterministic apply.
	hash, err := password.Hash(req.Password, n.pwParams)
	if err != nil {
		return nil, n.rpcErr("CreateUser", err)
	}
	if err := n.st.CreateUser(req.User, hash, n.nowUnix()); err != nil {
		return nil, n.rpcErr("CreateUser", err)
	}
	return &metadatapb.CreateUserResponse{}, nil
}

// DeleteUser removes every key of a user. Blobs are left to the GC.
func (n *Node) DeleteUser(ctx context.Context, req *metadatapb.DeleteUserRequest) (*metadatapb.Empty, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("DeleteUser", err)
	}
	defer release()
	return &metadatapb.Empty{}, n.rpcErr("DeleteUser", n.st.DeleteUser(req.User))
}

// SetPassword replaces a user's password.
func (n *Node) SetPassword(ctx context.Context, req *metadatapb.SetPasswordRequest) (*metadatapb.Empty, error) {
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("SetPassword", err)
	}
	defer release()
	if err := checkPassword(req.Password); err != nil {
		return nil, n.rpcErr("SetPassword", err)
	}
	hash, err := password.Hash(req.Password, n.pwParams)
	if err != nil {
		return nil, n.rpcErr("SetPassword", err)
	}
	return &metadatapb.Empty{}, n.rpcErr("SetPassword", n.st.SetPassword(req.User, hash))
}

// ListUsers lists every user of every shard this node serves, sorted.
func (n *Node) ListUsers(ctx context.Context, req *metadatapb.ListUsersRequest) (*metadatapb.ListUsersResponse, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if n.mu.closed {
		return nil, n.rpcErr("ListUsers", ErrClosed)
	}
	users, err := n.st.ListUsers()
	if err != nil {
		return nil, n.rpcErr("ListUsers", err)
	}
	return &metadatapb.ListUsersResponse{Users: users}, nil
}

// Authenticate checks a password in constant time. An unknown (or
// invalid) user name costs the same hashing work and yields the same
// ErrAuthFailed as a wrong password: no user enumeration.
func (n *Node) Authenticate(ctx context.Context, req *metadatapb.AuthenticateRequest) (*metadatapb.Empty, error) {
	fail := fmt.Errorf("metadata: user %q: %w", req.User, base.ErrAuthFailed)
	release, err := n.enter(req.User)
	if errors.Is(err, base.ErrInvalidArgument) {
		password.Dummy(req.Password)
		return nil, n.rpcErr("Authenticate", fail)
	}
	if err != nil {
		return nil, n.rpcErr("Authenticate", err)
	}
	defer release()
	hash, err := n.st.PasswordHash(req.User)
	if errors.Is(err, base.ErrNoSuchUser) {
		password.Dummy(req.Password)
		return nil, n.rpcErr("Authenticate", fail)
	}
	if err != nil {
		return nil, n.rpcErr("Authenticate", err)
	}
	ok, err := password.Verify(req.Password, hash)
	if err != nil {
		n.log.Error("metadata: stored password hash unusable", "user", req.User, "err", err)
		return nil, n.rpcErr("Authenticate", fail)
	}
	if !ok {
		return nil, n.rpcErr("Authenticate", fail)
	}
	return &metadatapb.Empty{}, nil
}
