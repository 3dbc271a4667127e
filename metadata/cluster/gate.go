package cluster

import (
	"context"
	"strings"

	"google.golang.org/grpc"

	"github.com/postbus/postbus/proto/metadatapb"
)

// The ownership gate: one place that decides whether a metadata RPC may
// run on this node. Every request of the Metadata service, and every Admin
// request about a user (Logout, RenameUser, ExportUser, ImportUser,
// DeleteUserIfUnchanged), names its user (GetUser); the gate admits it only
// while the node serves the user's shard, and holds the shard's slot for
// reading until the RPC returns, so a handoff starts only after every
// admitted request is done. RenameUser also holds the new name's shard.
// Node-level Admin RPCs (ListBlobRefs, NodeStatus) name no user and pass.

const (
	metadataService = "/postbus.metadata.v1.Metadata/"
	adminService    = "/postbus.metadata.v1.Admin/"
)

// gated reports whether the gate decides for a method.
func gated(method string) bool {
	return strings.HasPrefix(method, metadataService) || strings.HasPrefix(method, adminService)
}

// renameRequest is RenameUser's request: its new name's shard is held too.
type renameRequest interface{ GetNewName() string }

// userRequest is what every generated Metadata request but ListUsers is.
type userRequest interface{ GetUser() string }

// UnaryInterceptor gates unary Metadata RPCs. ListUsers is filtered to the
// users of shards this node owns (active or being handed off).
func (m *Member) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !gated(info.FullMethod) {
			return handler(ctx, req)
		}
		if info.FullMethod == metadatapb.Metadata_ListUsers_FullMethodName {
			resp, err := handler(ctx, req)
			if lr, ok := resp.(*metadatapb.ListUsersResponse); ok && err == nil {
				lr.Users = m.ownedUsers(lr.Users)
			}
			return resp, err
		}
		ur, ok := req.(userRequest)
		if !ok {
			return handler(ctx, req)
		}
		s := m.shardOf(ur.GetUser())
		release, err := m.admit(s)
		if err != nil {
			return nil, metadatapb.ToStatus(err)
		}
		defer release()
		if rr, ok := req.(renameRequest); ok {
			if to := m.shardOf(rr.GetNewName()); to != s {
				release2, err := m.admit(to)
				if err != nil {
					return nil, metadatapb.ToStatus(err)
				}
				defer release2()
			}
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor gates streaming Metadata RPCs when their request
// arrives. Fetch holds the shard's slot like a unary RPC; Watch does not
// (it lasts as long as a session) but runs under the shard's watch context
// and ends with NOT_OWNER when the node stops serving the shard, so the
// frontend subscribes again at the new owner.
func (m *Member) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if !gated(info.FullMethod) {
			return handler(srv, ss)
		}
		g := &gatedStream{ServerStream: ss, m: m, watch: info.FullMethod == metadatapb.Metadata_Watch_FullMethodName}
		err := handler(srv, g)
		g.done()
		if err != nil && g.fenced() {
			return metadatapb.ToStatus(ErrNotServing)
		}
		return err
	}
}

func (m *Member) shardOf(user string) uint32 {
	return m.w.Current().ShardOf(user) % m.shards
}

// ownedUsers keeps the users whose shard the current map gives this node.
func (m *Member) ownedUsers(users []string) []string {
	mp := m.w.Current()
	out := users[:0]
	for _, u := range users {
		if e, ok := mp.Entry(m.shardOf(u)); ok && e.Owner == m.opts.ID {
			out = append(out, u)
		}
	}
	return out
}

// gatedStream admits the stream at its first request message.
type gatedStream struct {
	grpc.ServerStream
	m        *Member
	watch    bool
	admitted bool
	release  func()
	ctx      context.Context
	slotCtx  context.Context
	stop     func() bool
	cancel   context.CancelFunc
}

func (g *gatedStream) RecvMsg(msg any) error {
	if err := g.ServerStream.RecvMsg(msg); err != nil || g.admitted {
		return err
	}
	g.admitted = true
	ur, ok := msg.(userRequest)
	if !ok {
		return nil
	}
	s := g.m.shardOf(ur.GetUser())
	if !g.watch {
		release, err := g.m.admit(s)
		if err != nil {
			return metadatapb.ToStatus(err)
		}
		g.release = release
		return nil
	}
	sctx, err := g.m.watchContext(s)
	if err != nil {
		return metadatapb.ToStatus(err)
	}
	g.slotCtx = sctx
	g.ctx, g.cancel = context.WithCancel(g.ServerStream.Context())
	g.stop = context.AfterFunc(sctx, g.cancel)
	return nil
}

func (g *gatedStream) Context() context.Context {
	if g.ctx != nil {
		return g.ctx
	}
	return g.ServerStream.Context()
}

// fenced reports whether the node stopped serving the stream's shard.
func (g *gatedStream) fenced() bool { return g.slotCtx != nil && g.slotCtx.Err() != nil }

func (g *gatedStream) done() {
	if g.release != nil {
		g.release()
	}
	if g.stop != nil {
		g.stop()
		g.cancel()
	}
}

// ServerOptions are the gRPC server options of a metadata node in cluster
// mode: the Metadata service's transport options (message sizes, which
// also fit handoff chunks: a chunk holds at least one whole pair) and the
// ownership gate.
func ServerOptions(m *Member) []grpc.ServerOption {
	return append(metadatapb.ServerOptions(),
		grpc.ChainUnaryInterceptor(m.UnaryInterceptor()),
		grpc.ChainStreamInterceptor(m.StreamInterceptor()),
	)
}
