package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/proto/metadatapb"
)

// ErrUnavailable is returned when a user's shard has no reachable owner.
var ErrUnavailable = fmt.Errorf("router: no reachable owner: %w", base.ErrUnavailable)

// ErrClosed is returned by calls on a closed Router.
var ErrClosed = fmt.Errorf("router: closed: %w", base.ErrUnavailable)

// Options configures a Router.
type Options struct {
	// Dial opens a connection to a node address; nil means plaintext gRPC
	// with a short reconnect backoff (DialOptions).
	Dial func(addr string) (*grpc.ClientConn, error)
	// Local are node addresses served in this process, with the client
	// that calls each without a connection (metadata/inproc); Dial is not
	// used for them.
	Local map[string]metadatapb.MetadataClient
	// RetryBudget bounds the time one call spends waiting for the map to
	// settle after NOT_OWNER or during a handoff; 0 means 5 s.
	RetryBudget time.Duration
	Logger      *slog.Logger
}

// DialOptions are the connection options the default Dial uses: the
// Metadata service's transport options, plaintext, and a short reconnect
// backoff so that a node that comes back is used again within a second.
func DialOptions() []grpc.DialOption {
	return append(metadatapb.DialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			MinConnectTimeout: 2 * time.Second,
		}),
	)
}

// Router routes metadata calls by the shard map. It is safe for concurrent
// use.
type Router struct {
	w    *cluster.MapWatcher
	opts Options
	log  *slog.Logger

	mu struct {
		sync.Mutex
		conns  map[string]*grpc.ClientConn
		closed bool
	}
}

var _ metadatapb.MetadataClient = (*Router)(nil)

// New returns a Router over the map w follows. The caller keeps ownership
// of w.
func New(w *cluster.MapWatcher, opts Options) *Router {
	if opts.RetryBudget <= 0 {
		opts.RetryBudget = 5 * time.Second
	}
	r := &Router{w: w, opts: opts, log: opts.Logger}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.mu.conns = map[string]*grpc.ClientConn{}
	return r
}

// Close closes every node connection.
func (r *Router) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mu.closed = true
	for addr, cc := range r.mu.conns {
		cc.Close()
		delete(r.mu.conns, addr)
	}
	return nil
}

// conn returns the connection to a node address.
func (r *Router) conn(addr string) (metadatapb.MetadataClient, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mu.closed {
		return nil, ErrClosed
	}
	if c, ok := r.opts.Local[addr]; ok {
		return c, nil
	}
	cc := r.mu.conns[addr]
	if cc == nil {
		r.sweepLocked()
		var err error
		if r.opts.Dial != nil {
			cc, err = r.opts.Dial(addr)
		} else {
			cc, err = grpc.NewClient(addr, DialOptions()...)
		}
		if err != nil {
			return nil, fmt.Errorf("router: dial %s: %w: %w", addr, err, base.ErrUnavailable)
		}
		r.mu.conns[addr] = cc
	}
	return metadatapb.NewMetadataClient(cc), nil
}

// sweepLocked closes connections to addresses no live node has any more
// (nodes that moved or left), so restarts do not accumulate connections.
func (r *Router) sweepLocked() {
	live := map[string]bool{}
	for _, n := range r.w.Current().Nodes {
		live[n.Addr] = true
	}
	for addr, cc := range r.mu.conns {
		if !live[addr] {
			cc.Close()
			delete(r.mu.conns, addr)
		}
	}
}

// isTransport reports whether err is a connection failure rather than an
// answer of a node (those carry a postbus reason or another code).
func isTransport(err error) bool {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Unavailable {
		return false
	}
	return len(st.Details()) == 0
}

// route runs call against the owner of user's shard, retrying as the
// package doc describes.
func route[T any](ctx context.Context, r *Router, user string, call func(metadatapb.MetadataClient) (T, error)) (T, error) {
	var zero T
	deadline := time.Now().Add(r.opts.RetryBudget)
	pause := 20 * time.Millisecond
	for {
		changed := r.w.Changed()
		mp := r.w.Current()
		rt, ok := mp.RouteOf(user)
		switch {
		case !ok:
			return zero, fmt.Errorf("%w: shard %d of user %q is unassigned", ErrUnavailable, rt.Shard, user)
		case !rt.Live:
			return zero, fmt.Errorf("%w: node %s owning shard %d is down", ErrUnavailable, rt.Entry.Owner, rt.Shard)
		case rt.Entry.State == cluster.StateMoving:
			if err := r.pause(ctx, changed, deadline, &pause); err != nil {
				return zero, fmt.Errorf("%w: shard %d stays in handoff to %s: %w", ErrUnavailable, rt.Shard, rt.Entry.Target, err)
			}
			continue
		}
		c, err := r.conn(rt.Node.Addr)
		if err != nil {
			return zero, err
		}
		resp, err := call(c)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return zero, err
		}
		switch {
		case errors.Is(metadatapb.FromStatus(err), base.ErrNotOwner):
			// Our map or the node's is behind; the request did not run.
			if perr := r.pause(ctx, changed, deadline, &pause); perr != nil {
				return zero, fmt.Errorf("%w: shard %d: node %s says it is not the owner: %w", ErrUnavailable, rt.Shard, rt.Entry.Owner, perr)
			}
		case isTransport(err):
			now, ok := r.w.Current().RouteOf(user)
			moved := ok && now.Live && (now.Node.Addr != rt.Node.Addr || now.Entry.Epoch != rt.Entry.Epoch || now.Entry.State != rt.Entry.State)
			if !moved || time.Now().After(deadline) {
				return zero, fmt.Errorf("%w: node %s (%s): %w", ErrUnavailable, rt.Entry.Owner, rt.Node.Addr, metadatapb.FromStatus(err))
			}
		default:
			return zero, err
		}
	}
}

// pause waits for the map to change or a backoff step, whichever comes
// first, unless the retry budget is spent.
func (r *Router) pause(ctx context.Context, changed <-chan struct{}, deadline time.Time, step *time.Duration) error {
	left := time.Until(deadline)
	if left <= 0 {
		return errors.New("retry budget spent")
	}
	t := time.NewTimer(min(*step, left))
	defer t.Stop()
	*step = min(2**step, 500*time.Millisecond)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-changed:
	case <-t.C:
	}
	return nil
}

// ListUsers asks every node that owns a shard and merges the answers. It
// fails with ErrUnavailable if a shard is unassigned or its owner is down:
// a partial list would look like deleted users.
func (r *Router) ListUsers(ctx context.Context, in *metadatapb.ListUsersRequest, opts ...grpc.CallOption) (*metadatapb.ListUsersResponse, error) {
	mp := r.w.Current()
	if mp.Shards == 0 {
		return nil, fmt.Errorf("%w: no cluster yet", ErrUnavailable)
	}
	owners := map[string]string{}
	for s := uint32(0); s < mp.Shards; s++ {
		e, ok := mp.Entry(s)
		if !ok {
			return nil, fmt.Errorf("%w: shard %d is unassigned", ErrUnavailable, s)
		}
		n, live := mp.Nodes[e.Owner]
		if !live {
			return nil, fmt.Errorf("%w: node %s owning shard %d is down", ErrUnavailable, e.Owner, s)
		}
		owners[e.Owner] = n.Addr
	}
	type result struct {
		users []string
		err   error
	}
	results := make(chan result, len(owners))
	for id, addr := range owners {
		go func() {
			c, err := r.conn(addr)
			if err != nil {
				results <- result{err: err}
				return
			}
			resp, err := c.ListUsers(ctx, in, opts...)
			if err != nil {
				err = fmt.Errorf("router: list users on %s: %w", id, metadatapb.FromStatus(err))
			}
			results <- result{users: resp.GetUsers(), err: err}
		}()
	}
	seen := map[string]bool{}
	var users []string
	var firstErr error
	for range owners {
		res := <-results
		if res.err != nil && firstErr == nil {
			firstErr = res.err
		}
		for _, u := range res.users {
			if !seen[u] {
				seen[u] = true
				users = append(users, u)
			}
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	sort.Strings(users)
	return &metadatapb.ListUsersResponse{Users: users}, nil
}

// Fetch is routed like a unary call until its first message: a NOT_OWNER
// answer arrives there.
func (r *Router) Fetch(ctx context.Context, in *metadatapb.FetchRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[metadatapb.FetchResponse], error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (grpc.ServerStreamingClient[metadatapb.FetchResponse], error) {
		sctx, cancel := context.WithCancel(ctx)
		st, err := c.Fetch(sctx, in, opts...)
		if err != nil {
			cancel()
			return nil, err
		}
		first, err := st.Recv()
		if err != nil && !errors.Is(err, io.EOF) {
			cancel()
			return nil, err
		}
		return &peekedStream{ServerStreamingClient: st, first: first, firstErr: err, cancel: cancel}, nil
	})
}

// peekedStream replays the first message (or end) of a stream.
type peekedStream struct {
	grpc.ServerStreamingClient[metadatapb.FetchResponse]
	first    *metadatapb.FetchResponse
	firstErr error
	peeked   bool
	cancel   context.CancelFunc
}

func (p *peekedStream) Recv() (*metadatapb.FetchResponse, error) {
	if !p.peeked {
		p.peeked = true
		if p.firstErr != nil {
			p.cancel()
			return nil, p.firstErr
		}
		return p.first, nil
	}
	m, err := p.ServerStreamingClient.Recv()
	if err != nil {
		p.cancel()
	}
	return m, err
}

func (p *peekedStream) RecvMsg(m any) error {
	if !p.peeked {
		return errors.New("router: RecvMsg before Recv on a routed stream")
	}
	return p.ServerStreamingClient.RecvMsg(m)
}

// Watch is routed to the owner; the stream ends with NOT_OWNER when the
// shard moves and the caller subscribes again.
func (r *Router) Watch(ctx context.Context, in *metadatapb.WatchRequest, opts ...grpc.CallOption) (grpc.ServerStreamingClient[metadatapb.ChangeEvent], error) {
	return route(ctx, r, in.GetUser(), func(c metadatapb.MetadataClient) (grpc.ServerStreamingClient[metadatapb.ChangeEvent], error) {
		return c.Watch(ctx, in, opts...)
	})
}
