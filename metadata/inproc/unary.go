package inproc

import (
	"context"

	"google.golang.org/grpc"

	mpb "github.com/postbus/postbus/proto/metadatapb"
)

// The unary methods of metadatapb.MetadataClient, one per RPC; the
// compiler checks that none is missing (var _ in client.go).

// CreateUser calls the server's CreateUser.
func (c *Client) CreateUser(ctx context.Context, in *mpb.CreateUserRequest, _ ...grpc.CallOption) (*mpb.CreateUserResponse, error) {
	return unary(c, ctx, mpb.Metadata_CreateUser_FullMethodName, in, c.srv.CreateUser)
}

// DeleteUser calls the server's DeleteUser.
func (c *Client) DeleteUser(ctx context.Context, in *mpb.DeleteUserRequest, _ ...grpc.CallOption) (*mpb.Empty, error) {
	return unary(c, ctx, mpb.Metadata_DeleteUser_FullMethodName, in, c.srv.DeleteUser)
}

// SetPassword calls the server's SetPassword.
func (c *Client) SetPassword(ctx context.Context, in *mpb.SetPasswordRequest, _ ...grpc.CallOption) (*mpb.Empty, error) {
	return unary(c, ctx, mpb.Metadata_SetPassword_FullMethodName, in, c.srv.SetPassword)
}

// ListUsers calls the server's ListUsers.
func (c *Client) ListUsers(ctx context.Context, in *mpb.ListUsersRequest, _ ...grpc.CallOption) (*mpb.ListUsersResponse, error) {
	return unary(c, ctx, mpb.Metadata_ListUsers_FullMethodName, in, c.srv.ListUsers)
}

// Authenticate calls the server's Authenticate.
func (c *Client) Authenticate(ctx context.Context, in *mpb.AuthenticateRequest, _ ...grpc.CallOption) (*mpb.Empty, error) {
	return unary(c, ctx, mpb.Metadata_Authenticate_FullMethodName, in, c.srv.Authenticate)
}

// ListMailboxes calls the server's ListMailboxes.
func (c *Client) ListMailboxes(ctx context.Context, in *mpb.ListMailboxesRequest, _ ...grpc.CallOption) (*mpb.ListMailboxesResponse, error) {
	return unary(c, ctx, mpb.Metadata_ListMailboxes_FullMethodName, in, c.srv.ListMailboxes)
}

// GetMailbox calls the server's GetMailbox.
func (c *Client) GetMailbox(ctx context.Context, in *mpb.GetMailboxRequest, _ ...grpc.CallOption) (*mpb.Mailbox, error) {
	return unary(c, ctx, mpb.Metadata_GetMailbox_FullMethodName, in, c.srv.GetMailbox)
}

// CreateMailbox calls the server's CreateMailbox.
func (c *Client) CreateMailbox(ctx context.Context, in *mpb.CreateMailboxRequest, _ ...grpc.CallOption) (*mpb.Mailbox, error) {
	return unary(c, ctx, mpb.Metadata_CreateMailbox_FullMethodName, in, c.srv.CreateMailbox)
}

// DeleteMailbox calls the server's DeleteMailbox.
func (c *Client) DeleteMailbox(ctx context.Context, in *mpb.DeleteMailboxRequest, _ ...grpc.CallOption) (*mpb.Empty, error) {
	return unary(c, ctx, mpb.Metadata_DeleteMailbox_FullMethodName, in, c.srv.DeleteMailbox)
}

// RenameMailbox calls the server's RenameMailbox.
func (c *Client) RenameMailbox(ctx context.Context, in *mpb.RenameMailboxRequest, _ ...grpc.CallOption) (*mpb.Empty, error) {
	return unary(c, ctx, mpb.Metadata_RenameMailbox_FullMethodName, in, c.srv.RenameMailbox)
}

// SetSubscribed calls the server's SetSubscribed.
func (c *Client) SetSubscribed(ctx context.Context, in *mpb.SetSubscribedRequest, _ ...grpc.CallOption) (*mpb.Empty, error) {
	return unary(c, ctx, mpb.Metadata_SetSubscribed_FullMethodName, in, c.srv.SetSubscribed)
}

// Append calls the server's Append.
func (c *Client) Append(ctx context.Context, in *mpb.AppendRequest, _ ...grpc.CallOption) (*mpb.AppendResponse, error) {
	return unary(c, ctx, mpb.Metadata_Append_FullMethodName, in, c.srv.Append)
}

// Select calls the server's Select.
func (c *Client) Select(ctx context.Context, in *mpb.SelectRequest, _ ...grpc.CallOption) (*mpb.SelectResponse, error) {
	return unary(c, ctx, mpb.Metadata_Select_FullMethodName, in, c.srv.Select)
}

// Store calls the server's Store.
func (c *Client) Store(ctx context.Context, in *mpb.StoreRequest, _ ...grpc.CallOption) (*mpb.StoreResponse, error) {
	return unary(c, ctx, mpb.Metadata_Store_FullMethodName, in, c.srv.Store)
}

// Expunge calls the server's Expunge.
func (c *Client) Expunge(ctx context.Context, in *mpb.ExpungeRequest, _ ...grpc.CallOption) (*mpb.ExpungeResponse, error) {
	return unary(c, ctx, mpb.Metadata_Expunge_FullMethodName, in, c.srv.Expunge)
}

// Copy calls the server's Copy.
func (c *Client) Copy(ctx context.Context, in *mpb.CopyRequest, _ ...grpc.CallOption) (*mpb.CopyResponse, error) {
	return unary(c, ctx, mpb.Metadata_Copy_FullMethodName, in, c.srv.Copy)
}

// Search calls the server's Search.
func (c *Client) Search(ctx context.Context, in *mpb.SearchRequest, _ ...grpc.CallOption) (*mpb.SearchResponse, error) {
	return unary(c, ctx, mpb.Metadata_Search_FullMethodName, in, c.srv.Search)
}

// Changes calls the server's Changes.
func (c *Client) Changes(ctx context.Context, in *mpb.ChangesRequest, _ ...grpc.CallOption) (*mpb.ChangesResponse, error) {
	return unary(c, ctx, mpb.Metadata_Changes_FullMethodName, in, c.srv.Changes)
}

// GetQuota calls the server's GetQuota.
func (c *Client) GetQuota(ctx context.Context, in *mpb.GetQuotaRequest, _ ...grpc.CallOption) (*mpb.Quota, error) {
	return unary(c, ctx, mpb.Metadata_GetQuota_FullMethodName, in, c.srv.GetQuota)
}

// SetQuota calls the server's SetQuota.
func (c *Client) SetQuota(ctx context.Context, in *mpb.SetQuotaRequest, _ ...grpc.CallOption) (*mpb.Quota, error) {
	return unary(c, ctx, mpb.Metadata_SetQuota_FullMethodName, in, c.srv.SetQuota)
}

// Sort calls the server's Sort.
func (c *Client) Sort(ctx context.Context, in *mpb.SortRequest, _ ...grpc.CallOption) (*mpb.SortResponse, error) {
	return unary(c, ctx, mpb.Metadata_Sort_FullMethodName, in, c.srv.Sort)
}

// Thread calls the server's Thread.
func (c *Client) Thread(ctx context.Context, in *mpb.ThreadRequest, _ ...grpc.CallOption) (*mpb.ThreadResponse, error) {
	return unary(c, ctx, mpb.Metadata_Thread_FullMethodName, in, c.srv.Thread)
}

// GetMetadata calls the server's GetMetadata.
func (c *Client) GetMetadata(ctx context.Context, in *mpb.GetMetadataRequest, _ ...grpc.CallOption) (*mpb.GetMetadataResponse, error) {
	return unary(c, ctx, mpb.Metadata_GetMetadata_FullMethodName, in, c.srv.GetMetadata)
}

// SetMetadata calls the server's SetMetadata.
func (c *Client) SetMetadata(ctx context.Context, in *mpb.SetMetadataRequest, _ ...grpc.CallOption) (*mpb.SetMetadataResponse, error) {
	return unary(c, ctx, mpb.Metadata_SetMetadata_FullMethodName, in, c.srv.SetMetadata)
}
