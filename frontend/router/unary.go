package router

import (
	"context"

	"google.golang.org/grpc"

	"github.com/postbus/postbus/proto/metadatapb"
)

// The unary calls of one user: each goes to the owner of the user's shard.

// CreateUser routes Metadata.CreateUser.
func (r *Router) CreateUser(ctx context.Context, in *metadatapb.CreateUserRequest, opts ...grpc.CallOption) (*metadatapb.CreateUserResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.CreateUserResponse, error) {
		return c.CreateUser(ctx, in, opts...)
	})
}

// DeleteUser routes Metadata.DeleteUser.
func (r *Router) DeleteUser(ctx context.Context, in *metadatapb.DeleteUserRequest, opts ...grpc.CallOption) (*metadatapb.Empty, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Empty, error) { return c.DeleteUser(ctx, in, opts...) })
}

// SetPassword routes Metadata.SetPassword.
func (r *Router) SetPassword(ctx context.Context, in *metadatapb.SetPasswordRequest, opts ...grpc.CallOption) (*metadatapb.Empty, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Empty, error) { return c.SetPassword(ctx, in, opts...) })
}

// Authenticate routes Metadata.Authenticate.
func (r *Router) Authenticate(ctx context.Context, in *metadatapb.AuthenticateRequest, opts ...grpc.CallOption) (*metadatapb.Empty, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Empty, error) { return c.Authenticate(ctx, in, opts...) })
}

// ListMailboxes routes Metadata.ListMailboxes.
func (r *Router) ListMailboxes(ctx context.Context, in *metadatapb.ListMailboxesRequest, opts ...grpc.CallOption) (*metadatapb.ListMailboxesResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.ListMailboxesResponse, error) {
		return c.ListMailboxes(ctx, in, opts...)
	})
}

// GetMailbox routes Metadata.GetMailbox.
func (r *Router) GetMailbox(ctx context.Context, in *metadatapb.GetMailboxRequest, opts ...grpc.CallOption) (*metadatapb.Mailbox, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Mailbox, error) { return c.GetMailbox(ctx, in, opts...) })
}

// CreateMailbox routes Metadata.CreateMailbox.
func (r *Router) CreateMailbox(ctx context.Context, in *metadatapb.CreateMailboxRequest, opts ...grpc.CallOption) (*metadatapb.Mailbox, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Mailbox, error) {
		return c.CreateMailbox(ctx, in, opts...)
	})
}

// DeleteMailbox routes Metadata.DeleteMailbox.
func (r *Router) DeleteMailbox(ctx context.Context, in *metadatapb.DeleteMailboxRequest, opts ...grpc.CallOption) (*metadatapb.Empty, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Empty, error) { return c.DeleteMailbox(ctx, in, opts...) })
}

// RenameMailbox routes Metadata.RenameMailbox.
func (r *Router) RenameMailbox(ctx context.Context, in *metadatapb.RenameMailboxRequest, opts ...grpc.CallOption) (*metadatapb.Empty, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Empty, error) { return c.RenameMailbox(ctx, in, opts...) })
}

// SetSubscribed routes Metadata.SetSubscribed.
func (r *Router) SetSubscribed(ctx context.Context, in *metadatapb.SetSubscribedRequest, opts ...grpc.CallOption) (*metadatapb.Empty, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Empty, error) { return c.SetSubscribed(ctx, in, opts...) })
}

// Append routes Metadata.Append.
func (r *Router) Append(ctx context.Context, in *metadatapb.AppendRequest, opts ...grpc.CallOption) (*metadatapb.AppendResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.AppendResponse, error) {
		return c.Append(ctx, in, opts...)
	})
}

// Select routes Metadata.Select.
func (r *Router) Select(ctx context.Context, in *metadatapb.SelectRequest, opts ...grpc.CallOption) (*metadatapb.SelectResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.SelectResponse, error) {
		return c.Select(ctx, in, opts...)
	})
}

// Store routes Metadata.Store.
func (r *Router) Store(ctx context.Context, in *metadatapb.StoreRequest, opts ...grpc.CallOption) (*metadatapb.StoreResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.StoreResponse, error) { return c.Store(ctx, in, opts...) })
}

// Expunge routes Metadata.Expunge.
func (r *Router) Expunge(ctx context.Context, in *metadatapb.ExpungeRequest, opts ...grpc.CallOption) (*metadatapb.ExpungeResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.ExpungeResponse, error) {
		return c.Expunge(ctx, in, opts...)
	})
}

// Copy routes Metadata.Copy.
func (r *Router) Copy(ctx context.Context, in *metadatapb.CopyRequest, opts ...grpc.CallOption) (*metadatapb.CopyResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.CopyResponse, error) { return c.Copy(ctx, in, opts...) })
}

// Search routes Metadata.Search.
func (r *Router) Search(ctx context.Context, in *metadatapb.SearchRequest, opts ...grpc.CallOption) (*metadatapb.SearchResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.SearchResponse, error) {
		return c.Search(ctx, in, opts...)
	})
}

// Changes routes Metadata.Changes.
func (r *Router) Changes(ctx context.Context, in *metadatapb.ChangesRequest, opts ...grpc.CallOption) (*metadatapb.ChangesResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.ChangesResponse, error) {
		return c.Changes(ctx, in, opts...)
	})
}
