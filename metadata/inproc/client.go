package inproc

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	mpb "github.com/postbus/postbus/proto/metadatapb"
)

// Client is a metadatapb.MetadataClient that calls a MetadataServer in
// the same process. It is safe for concurrent use.
type Client struct {
	srv    mpb.MetadataServer
	unary  grpc.UnaryServerInterceptor  // the chain, or nil
	stream grpc.StreamServerInterceptor // the chain, or nil
	w      *workers                     // goroutines of stream handlers
}

var _ mpb.MetadataClient = (*Client)(nil)

// Options are the server-side interceptors a Client runs around every
// call, outermost first, as grpc.ChainUnaryInterceptor and
// grpc.ChainStreamInterceptor would.
type Options struct {
	Unary  []grpc.UnaryServerInterceptor
	Stream []grpc.StreamServerInterceptor
}

// New returns a Client of srv.
func New(srv mpb.MetadataServer, opts Options) *Client {
	return &Client{srv: srv, unary: chainUnary(opts.Unary), stream: chainStream(opts.Stream), w: newWorkers()}
}

// chainUnary composes interceptors so that the first is outermost.
func chainUnary(ics []grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	if len(ics) == 0 {
		return nil
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return ics[0](ctx, req, info, unaryRest(ics[1:], info, h))
	}
}

func unaryRest(ics []grpc.UnaryServerInterceptor, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) grpc.UnaryHandler {
	if len(ics) == 0 {
		return h
	}
	return func(ctx context.Context, req any) (any, error) {
		return ics[0](ctx, req, info, unaryRest(ics[1:], info, h))
	}
}

// chainStream composes stream interceptors so that the first is outermost.
func chainStream(ics []grpc.StreamServerInterceptor) grpc.StreamServerInterceptor {
	if len(ics) == 0 {
		return nil
	}
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		return ics[0](srv, ss, info, streamRest(ics[1:], info, h))
	}
}

func streamRest(ics []grpc.StreamServerInterceptor, info *grpc.StreamServerInfo, h grpc.StreamHandler) grpc.StreamHandler {
	if len(ics) == 0 {
		return h
	}
	return func(srv any, ss grpc.ServerStream) error {
		return ics[0](srv, ss, info, streamRest(ics[1:], info, h))
	}
}

// unary runs one unary call: handler under the interceptors, in a
// context that ends with the call, and the error as a status.
func unary[Req, Resp any](c *Client, ctx context.Context, method string, req *Req,
	handler func(context.Context, *Req) (*Resp, error)) (*Resp, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out any
	var err error
	if c.unary == nil {
		out, err = handler(ctx, req)
	} else {
		out, err = c.unary(ctx, req, &grpc.UnaryServerInfo{Server: c.srv, FullMethod: method},
			func(ctx context.Context, r any) (any, error) { return handler(ctx, r.(*Req)) })
	}
	if err != nil {
		return nil, toStatus(err)
	}
	resp, _ := out.(*Resp)
	if resp == nil {
		// gRPC cannot send a nil message either.
		return nil, status.Errorf(codes.Internal, "inproc: %s returned no response and no error", method)
	}
	return resp, nil
}

// toStatus turns a handler's error into what the client of a gRPC
// connection receives (grpc-go's server does the same): a status error
// as it is, a context error as Canceled or DeadlineExceeded, anything
// else as Unknown with the error's text.
func toStatus(err error) error {
	if st, ok := status.FromError(err); ok {
		return st.Err()
	}
	return status.FromContextError(err).Err()
}
