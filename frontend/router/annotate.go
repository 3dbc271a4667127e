package router

import (
	"context"

	"google.golang.org/grpc"

	"github.com/postbus/postbus/proto/metadatapb"
)

// GetMetadata routes Metadata.GetMetadata (RFC 5464 annotations) to the
// owner of the user's shard: annotations live with the user's mailboxes.
func (r *Router) GetMetadata(ctx context.Context, in *metadatapb.GetMetadataRequest, opts ...grpc.CallOption) (*metadatapb.GetMetadataResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.GetMetadataResponse, error) {
		return c.GetMetadata(ctx, in, opts...)
	})
}

// SetMetadata routes Metadata.SetMetadata to the owner of the user's shard.
func (r *Router) SetMetadata(ctx context.Context, in *metadatapb.SetMetadataRequest, opts ...grpc.CallOption) (*metadatapb.SetMetadataResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.SetMetadataResponse, error) {
		return c.SetMetadata(ctx, in, opts...)
	})
}
