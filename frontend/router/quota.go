package router

import (
	"context"

	"google.golang.org/grpc"

	"github.com/postbus/postbus/proto/metadatapb"
)

// GetQuota routes Metadata.GetQuota to the owner of the user's shard.
func (r *Router) GetQuota(ctx context.Context, in *metadatapb.GetQuotaRequest, opts ...grpc.CallOption) (*metadatapb.Quota, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Quota, error) { return c.GetQuota(ctx, in, opts...) })
}

// SetQuota routes Metadata.SetQuota to the owner of the user's shard.
func (r *Router) SetQuota(ctx context.Context, in *metadatapb.SetQuotaRequest, opts ...grpc.CallOption) (*metadatapb.Quota, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.Quota, error) { return c.SetQuota(ctx, in, opts...) })
}
