package inproc

import (
	"context"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	mpb "github.com/postbus/postbus/proto/metadatapb"
)

// streamBuffer is how many messages a handler may send ahead of the
// caller, as gRPC's flow-control window lets it: enough for the node to
// read the next batch while the frontend writes the last one.
const streamBuffer = 4

// Fetch calls the server's Fetch.
func (c *Client) Fetch(ctx context.Context, in *mpb.FetchRequest, _ ...grpc.CallOption) (grpc.ServerStreamingClient[mpb.FetchResponse], error) {
	return serverStream(c, ctx, mpb.Metadata_Fetch_FullMethodName, in, c.srv.Fetch)
}

// Watch calls the server's Watch.
func (c *Client) Watch(ctx context.Context, in *mpb.WatchRequest, _ ...grpc.CallOption) (grpc.ServerStreamingClient[mpb.ChangeEvent], error) {
	return serverStream(c, ctx, mpb.Metadata_Watch_FullMethodName, in, c.srv.Watch)
}

// serverStream starts a server-streaming call: the handler runs in its
// own goroutine, under the interceptors, and sends into a pipe the
// returned stream reads.
func serverStream[Req, T any](c *Client, ctx context.Context, method string, req *Req,
	handler func(*Req, grpc.ServerStreamingServer[T]) error) (grpc.ServerStreamingClient[T], error) {
	if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err()
	}
	p := &pipe[T]{
		caller:    ctx,
		msgs:      make(chan *T, streamBuffer),
		done:      make(chan struct{}),
		headerOut: make(chan struct{}),
	}
	p.ctx, p.cancel = context.WithCancel(ctx)
	ss := &serverSide[Req, T]{p: p, req: req}
	run := func(_ any, ss grpc.ServerStream) error {
		// As a generated handler does: the request comes through
		// RecvMsg, so interceptors that watch it (the shard gate
		// admits a stream at its request) see it.
		if err := ss.RecvMsg(req); err != nil {
			return err
		}
		return handler(req, &grpc.GenericServerStream[Req, T]{ServerStream: ss})
	}
	c.w.run(func() {
		var err error
		if c.stream == nil {
			err = run(c.srv, ss)
		} else {
			err = c.stream(c.srv, ss, &grpc.StreamServerInfo{FullMethod: method, IsServerStream: true}, run)
		}
		p.finish(err)
	})
	return &clientSide[T]{p: p}, nil
}

// pipe carries one stream's messages, header, trailer and end from the
// handler's goroutine to the caller.
type pipe[T any] struct {
	caller context.Context    // the caller's context
	ctx    context.Context    // the handler's: the caller's, ended by finish
	cancel context.CancelFunc // ends ctx
	msgs   chan *T
	done   chan struct{} // closed by finish, after err is set
	err    error         // the handler's status error, or nil

	mu        sync.Mutex
	header    metadata.MD
	trailer   metadata.MD
	headerOut chan struct{} // closed once the header is sent or the stream ended
	sent      bool          // headerOut is closed
}

// sendHeader marks the header as sent (SendHeader, the first message, or
// the end).
func (p *pipe[T]) sendHeader() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.sent {
		p.sent = true
		close(p.headerOut)
	}
}

// finish records the handler's end.
func (p *pipe[T]) finish(err error) {
	if err != nil {
		p.err = toStatus(err)
	}
	p.sendHeader()
	close(p.done)
	p.cancel()
}

// serverSide is the handler's end of a pipe: a grpc.ServerStream.
type serverSide[Req, T any] struct {
	p        *pipe[T]
	req      *Req
	received bool
}

func (s *serverSide[Req, T]) Context() context.Context { return s.p.ctx }

func (s *serverSide[Req, T]) SetHeader(md metadata.MD) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if s.p.sent {
		return status.Error(codes.Internal, "inproc: SetHeader after the header was sent")
	}
	s.p.header = metadata.Join(s.p.header, md)
	return nil
}

func (s *serverSide[Req, T]) SendHeader(md metadata.MD) error {
	if err := s.SetHeader(md); err != nil {
		return err
	}
	s.p.sendHeader()
	return nil
}

func (s *serverSide[Req, T]) SetTrailer(md metadata.MD) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.p.trailer = metadata.Join(s.p.trailer, md)
}

// SendMsg hands m to the caller; it waits while the caller is
// streamBuffer messages behind, and fails once the call is over.
func (s *serverSide[Req, T]) SendMsg(m any) error {
	t, ok := m.(*T)
	if !ok {
		return status.Errorf(codes.Internal, "inproc: sending %T on a stream of %T", m, (*T)(nil))
	}
	s.p.sendHeader()
	select {
	case s.p.msgs <- t:
		return nil
	case <-s.p.ctx.Done():
		return status.FromContextError(s.p.ctx.Err()).Err()
	}
}

// RecvMsg gives the handler the request, once. Handlers pass the
// request value itself (serverStream), which needs no copy; another
// message of the request's type is filled with a copy.
func (s *serverSide[Req, T]) RecvMsg(m any) error {
	if s.received {
		return io.EOF
	}
	s.received = true
	if r, ok := m.(*Req); ok && r == s.req {
		return nil
	}
	dst, ok1 := m.(proto.Message)
	src, ok2 := any(s.req).(proto.Message)
	if !ok1 || !ok2 || dst.ProtoReflect().Descriptor() != src.ProtoReflect().Descriptor() {
		return status.Errorf(codes.Internal, "inproc: receiving %T into %T", s.req, m)
	}
	proto.Reset(dst)
	proto.Merge(dst, src)
	return nil
}

// clientSide is the caller's end of a pipe: a grpc.ServerStreamingClient.
type clientSide[T any] struct {
	p *pipe[T]
}

// Recv returns the next message; io.EOF when the handler returned nil,
// its status error otherwise, or Canceled/DeadlineExceeded when the
// caller's context ended first.
func (c *clientSide[T]) Recv() (*T, error) {
	p := c.p
	select {
	case m := <-p.msgs:
		return m, nil
	default:
	}
	select {
	case m := <-p.msgs:
		return m, nil
	case <-p.done:
		// Messages sent before the end come first.
		select {
		case m := <-p.msgs:
			return m, nil
		default:
		}
		if p.err != nil {
			return nil, p.err
		}
		return nil, io.EOF
	case <-p.caller.Done():
		return nil, status.FromContextError(p.caller.Err()).Err()
	}
}

// Header waits for the handler's header. A stream that ended without one
// answers its error (nil header and nil error when it ended cleanly), as
// gRPC does for a response without headers.
func (c *clientSide[T]) Header() (metadata.MD, error) {
	p := c.p
	select {
	case <-p.headerOut:
	case <-p.caller.Done():
		return nil, status.FromContextError(p.caller.Err()).Err()
	}
	p.mu.Lock()
	md := p.header.Copy()
	p.mu.Unlock()
	select {
	case <-p.done:
		if md.Len() == 0 {
			return nil, p.err
		}
	default:
	}
	return md, nil
}

// Trailer is the handler's trailer once the stream has ended.
func (c *clientSide[T]) Trailer() metadata.MD {
	select {
	case <-c.p.done:
	default:
		return nil
	}
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.p.trailer.Copy()
}

func (c *clientSide[T]) CloseSend() error         { return nil }
func (c *clientSide[T]) Context() context.Context { return c.p.caller }

// SendMsg fails: the request went with the call.
func (c *clientSide[T]) SendMsg(any) error {
	return status.Error(codes.Internal, "inproc: SendMsg on a server stream")
}

// RecvMsg is Recv into m, for generic callers; m gets a copy.
func (c *clientSide[T]) RecvMsg(m any) error {
	t, err := c.Recv()
	if err != nil {
		return err
	}
	dst, ok1 := m.(proto.Message)
	src, ok2 := any(t).(proto.Message)
	if !ok1 || !ok2 || dst.ProtoReflect().Descriptor() != src.ProtoReflect().Descriptor() {
		return status.Errorf(codes.Internal, "inproc: receiving %T into %T", t, m)
	}
	proto.Reset(dst)
	proto.Merge(dst, src)
	return nil
}
