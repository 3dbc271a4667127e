package router

import (
	"context"

	"google.golang.org/grpc"

	"github.com/postbus/postbus/proto/metadatapb"
)

// Sort routes Metadata.Sort (RFC 5256 SORT, evaluated on the user's node).
func (r *Router) Sort(ctx context.Context, in *metadatapb.SortRequest, opts ...grpc.CallOption) (*metadatapb.SortResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.SortResponse, error) {
		return c.Sort(ctx, in, opts...)
	})
}

// Thread routes Metadata.Thread (RFC 5256 THREAD).
func (r *Router) Thread(ctx context.Context, in *metadatapb.ThreadRequest, opts ...grpc.CallOption) (*metadatapb.ThreadResponse, error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (*metadatapb.ThreadResponse, error) {
		return c.Thread(ctx, in, opts...)
	})
}
