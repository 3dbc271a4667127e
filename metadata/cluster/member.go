package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/proto/clusterpb"
	"github.com/postbus/postbus/proto/metadatapb"
)

// MemberOptions configures a metadata node's membership in a cluster.
type MemberOptions struct {
	// Prefix is the cluster's etcd key prefix; "" means DefaultPrefix.
	Prefix string
	// ID names the node; it must stay the same across restarts of the same
	// data directory (ValidNodeID).
	ID string
	// Addr is the gRPC address other nodes and frontends dial.
	Addr string
	// Version is informational (the binary's version).
	Version string
	Logger  *slog.Logger
	// LeaseTTL is the node record's lease TTL in seconds; 0 means 5.
	LeaseTTL int64
	// TakeOver deletes a record of this node id left by a previous process
	// instead of waiting for its lease to expire. Only for callers that know
	// no other process runs as this node (serve: its admin socket check).
	TakeOver bool
	// NoController keeps this node out of the controller election.
	NoController bool
	// MaxMoves and AssignDelay tune the controller (ControllerOptions).
	MaxMoves    int
	AssignDelay time.Duration
	// IdentityFile, if set, names a file beside the store that records the
	// cluster the store belongs to (ClusterID). A node whose store belongs
	// to another cluster — say, etcd was replaced and has an empty map — is
	// refused with ErrWrongCluster instead of joining and dropping the data
	// of shards the new map gives to others. A store without the file is
	// adopted if it is empty or the cluster has no shard assigned yet.
	IdentityFile string
	// ReceiveWait bounds how long a node receiving a shard waits for its
	// map to show the handoff the sender announces; 0 means 10 s.
	ReceiveWait time.Duration
	// DialPeer opens a client connection to another node for handoffs;
	// nil means plaintext gRPC (grpc.NewClient with insecure credentials).
	DialPeer func(addr string) (*grpc.ClientConn, error)
}

// Member runs one metadata node as a member of a cluster: it registers the
// node, follows the shard map, admits only requests for shards the map
// gives it (UnaryInterceptor, StreamInterceptor), hands shards off to other
// nodes and receives them (clusterpb.ClusterServer), and takes part in the
// controller election. See the package doc for the protocol.
type Member struct {
	clusterpb.UnimplementedClusterServer

	cli    *clientv3.Client
	keys   keys
	opts   MemberOptions
	log    *slog.Logger
	node   *metadata.Node
	shards uint32
	w      *MapWatcher
	slots  []slot
	reg    *registration

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		transfers   map[uint32]*transfer
		pendingDrop map[uint32]bool // shards whose local copy may be stale
		peers       map[string]*grpc.ClientConn
		closed      bool
	}
}

var _ clusterpb.ClusterServer = (*Member)(nil)

// slot is a node's view of one shard.
type slot struct {
	// mu is held for reading by every admitted request for the whole
	// request; a handoff takes it once for writing after clearing serving,
	// as a barrier that waits for requests admitted before the fence.
	mu      sync.RWMutex
	serving atomic.Bool
	// data serialises changes of the local key range (ingest, drop) with
	// the map checks that allow them.
	data sync.Mutex
	// received is what the last successful ingest wrote (guarded by data).
	received receipt
	// wmu guards watchCtx/watchCancel: Watch streams of the shard's users
	// run under watchCtx, cancelled when the node stops serving the shard.
	wmu         sync.Mutex
	watchCtx    context.Context
	watchCancel context.CancelFunc
}

// transfer is a running handoff of a shard this node owns.
type transfer struct {
	modRev int64
	cancel context.CancelFunc
	done   chan struct{} // closed when the handoff goroutine returns
}

// Join makes node a member of the cluster reachable through cli: it checks
// (or, for a new cluster, sets) the shard count, loads the map, drops local
// copies of shards that the map says belong to others, registers the node
// and starts following the map. The node must have been opened with the
// cluster's shard count (EnsureShards tells it).
func Join(ctx context.Context, cli *clientv3.Client, node *metadata.Node, opts MemberOptions) (*Member, error) {
	if !ValidNodeID(opts.ID) {
		return nil, fmt.Errorf("%w: node id %q", ErrBadConfig, opts.ID)
	}
	if opts.Addr == "" {
		return nil, fmt.Errorf("%w: empty node address", ErrBadConfig)
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 5
	}
	if opts.ReceiveWait <= 0 {
		opts.ReceiveWait = defaultReceiveWait
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("node", opts.ID)
	k := newKeys(opts.Prefix)
	s, err := EnsureShards(ctx, cli, k.prefix, node.Shards())
	if err != nil {
		return nil, err
	}
	if s != node.Shards() {
		return nil, fmt.Errorf("%w: cluster has %d, store has %d", ErrWrongShards, s, node.Shards())
	}
	if opts.IdentityFile != "" {
		if err := checkIdentity(ctx, cli, k, node, opts.IdentityFile); err != nil {
			return nil, err
		}
	}
	m := &Member{cli: cli, keys: k, opts: opts, log: log, node: node, shards: s, slots: make([]slot, s)}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.mu.transfers = map[uint32]*transfer{}
	m.mu.pendingDrop = map[uint32]bool{}
	m.mu.peers = map[string]*grpc.ClientConn{}
	fail := func(err error) (*Member, error) {
		m.cancel()
		if m.w != nil {
			m.w.Close()
		}
		return nil, err
	}
	if m.w, err = watchWithLogger(m.ctx, cli, k.prefix, log); err != nil {
		return fail(err)
	}
	if err := m.w.WaitFor(ctx, func(mp *ShardMap) bool { return mp.Shards == s }); err != nil {
		return fail(err)
	}
	// Every shard with local data is suspect until the map vouches for it.
	for sh := uint32(0); sh < s; sh++ {
		has, err := node.ShardHasData(sh)
		if err != nil {
			return fail(err)
		}
		if has {
			m.mu.pendingDrop[sh] = true
		}
	}
	m.reconcile(m.w.Current())
	if opts.TakeOver {
		if _, err := cli.Delete(ctx, k.node(opts.ID)); err != nil {
			return fail(fmt.Errorf("cluster: take over %s: %w", opts.ID, err))
		}
	}
	if m.reg, err = register(ctx, cli, k, NodeInfo{ID: opts.ID, Addr: opts.Addr, Version: opts.Version}, opts.LeaseTTL, log); err != nil {
		return fail(err)
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.follow()
	}()
	if !opts.NoController {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			RunController(m.ctx, cli, m.w, ControllerOptions{
				Prefix: k.prefix, ID: opts.ID, Logger: log,
				MaxMoves: opts.MaxMoves, AssignDelay: opts.AssignDelay,
			})
		}()
	}
	log.Info("cluster: joined", "addr", opts.Addr, "shards", s, "owned", len(m.w.Current().Owned(opts.ID)))
	return m, nil
}

// checkIdentity makes sure the store belongs to the cluster (see
// MemberOptions.IdentityFile), recording the cluster's id for a new store.
func checkIdentity(ctx context.Context, cli *clientv3.Client, k keys, node *metadata.Node, path string) error {
	id, err := ClusterID(ctx, cli, k.prefix)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if got := strings.TrimSpace(string(b)); got != id {
			return fmt.Errorf("%w: %s says %q, the cluster under %q in etcd is %q", ErrWrongCluster, path, got, k.prefix, id)
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("cluster: %w", err)
	}
	hasData := false
	for s := uint32(0); s < node.Shards() && !hasData; s++ {
		if hasData, err = node.ShardHasData(s); err != nil {
			return err
		}
	}
	if hasData {
		resp, err := cli.Get(ctx, k.shardsPrefix(), clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		if resp.Count > 0 {
			return fmt.Errorf("%w: the store holds data but no %s, and the cluster already assigns shards; joining would drop that data", ErrWrongCluster, path)
		}
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	_, err = f.WriteString(id + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("cluster: record cluster id: %w", err)
	}
	return nil
}

// Map returns the member's map watcher.
func (m *Member) Map() *MapWatcher { return m.w }

// ID is the node's id.
func (m *Member) ID() string { return m.opts.ID }

// Serving reports whether the node currently serves shard s.
func (m *Member) Serving(s uint32) bool {
	return s < m.shards && m.slots[s].serving.Load()
}

// WaitServing waits until the map is complete (every shard assigned and
// active) and this node serves every shard the map gives it.
func (m *Member) WaitServing(ctx context.Context) error {
	for {
		if err := m.w.WaitFor(ctx, (*ShardMap).Complete); err != nil {
			return err
		}
		mp := m.w.Current()
		ready := true
		for s, e := range mp.Entries {
			if e != nil && e.Owner == m.opts.ID && !m.Serving(uint32(s)) {
				ready = false
				break
			}
		}
		if ready {
			return nil
		}
		sleepCtx(ctx, 10*time.Millisecond)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Close leaves the map (the node record's lease is revoked, so routers stop
// sending requests at once), stops handoffs and the controller, and stops
// serving every shard. It does not close the node.
func (m *Member) Close() {
	m.mu.Lock()
	if m.mu.closed {
		m.mu.Unlock()
		return
	}
	m.mu.closed = true
	m.mu.Unlock()
	m.reg.close()
	m.cancel()
	m.wg.Wait()
	m.w.Close()
	for s := range m.slots {
		m.setServing(uint32(s), false)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, cc := range m.mu.peers {
		cc.Close()
	}
}

// SetDrain marks a node as leaving (on) or not (off). A draining node gets
// no new shards and the controller moves its shards to the others; the mark
// outlives the node's process, so a node restarted while draining keeps
// draining until the mark is removed.
func SetDrain(ctx context.Context, cli *clientv3.Client, prefix, id string, on bool) error {
	k := newKeys(prefix)
	var err error
	if on {
		_, err = cli.Put(ctx, k.drain(id), "1")
	} else {
		_, err = cli.Delete(ctx, k.drain(id))
	}
	if err != nil {
		return fmt.Errorf("cluster: drain %s: %w", id, err)
	}
	return nil
}

// Leave drains this node and waits until it owns no shard (the controller
// has moved every one away); then the node can stop without making any
// user unavailable. The drain mark stays: remove it with SetDrain(off)
// before the node should take shards again.
func (m *Member) Leave(ctx context.Context) error {
	if err := SetDrain(ctx, m.cli, m.keys.prefix, m.opts.ID, true); err != nil {
		return err
	}
	return m.w.WaitFor(ctx, func(mp *ShardMap) bool { return len(mp.Owned(m.opts.ID)) == 0 })
}

// follow applies every new map until Close.
func (m *Member) follow() {
	for {
		ch := m.w.Changed()
		m.reconcile(m.w.Current())
		select {
		case <-m.ctx.Done():
			return
		case <-ch:
		}
	}
}

// reconcile makes the node's state follow map mp: which shards it serves,
// which handoffs run, which stale local copies go.
func (m *Member) reconcile(mp *ShardMap) {
	if mp.Shards != m.shards {
		return
	}
	me := m.opts.ID
	for s, e := range mp.Entries {
		m.setServing(uint32(s), e != nil && e.Owner == me && e.State == StateActive)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.closed {
		return
	}
	for s, t := range m.mu.transfers {
		e := mp.Entries[s]
		if e == nil || e.Owner != me || e.State != StateMoving || mp.modRev[s] != t.modRev {
			t.cancel()
			delete(m.mu.transfers, s)
			m.mu.pendingDrop[s] = true
		}
	}
	for s, e := range mp.Entries {
		sh := uint32(s)
		if e != nil && e.Owner == me && e.State == StateMoving && m.mu.transfers[sh] == nil {
			m.startTransferLocked(sh, *e, mp.modRev[s])
		}
	}
	for s := range m.mu.pendingDrop {
		e := mp.Entries[s]
		switch {
		case e == nil:
			// Unassigned: keep whatever is here; never guess.
		case e.Owner == me:
			delete(m.mu.pendingDrop, s) // ours: the local copy is the truth
		case e.State == StateMoving && e.Target == me:
			// Coming to us: the ingest clears the range itself.
		default:
			if err := m.dropIfStale(s); err != nil {
				m.log.Error("cluster: drop stale shard copy", "shard", s, "err", err)
				continue
			}
			delete(m.mu.pendingDrop, s)
		}
	}
}

// dropIfStale deletes the local copy of shard s if the newest map still
// says another node owns it (checked under the slot's data lock, so it
// cannot race with an ingest that the map allowed).
func (m *Member) dropIfStale(s uint32) error {
	sl := &m.slots[s]
	sl.data.Lock()
	defer sl.data.Unlock()
	e, ok := m.w.Current().Entry(s)
	if !ok || e.Owner == m.opts.ID || (e.State == StateMoving && e.Target == m.opts.ID) {
		return nil
	}
	m.log.Info("cluster: dropping local copy of shard", "shard", s, "owner", e.Owner)
	sl.received = receipt{}
	return m.node.DropShard(s)
}

// setServing starts or stops serving shard s. Stopping is a fence: new
// requests are refused at once and Watch streams end; requests already
// admitted finish (a handoff waits for them with the slot's write lock).
func (m *Member) setServing(s uint32, on bool) {
	sl := &m.slots[s]
	if sl.serving.Load() == on {
		return
	}
	sl.wmu.Lock()
	defer sl.wmu.Unlock()
	if on {
		sl.watchCtx, sl.watchCancel = context.WithCancel(context.Background())
		sl.serving.Store(true)
		return
	}
	sl.serving.Store(false)
	if sl.watchCancel != nil {
		sl.watchCancel()
	}
}

// admit lets a request for shard s in; the caller must call release when
// the request is done.
func (m *Member) admit(s uint32) (release func(), err error) {
	sl := &m.slots[s]
	sl.mu.RLock()
	if !sl.serving.Load() {
		sl.mu.RUnlock()
		return nil, fmt.Errorf("%w: shard %d", ErrNotServing, s)
	}
	return sl.mu.RUnlock, nil
}

// watchContext returns the context Watch streams of shard s run under.
func (m *Member) watchContext(s uint32) (context.Context, error) {
	sl := &m.slots[s]
	sl.wmu.Lock()
	defer sl.wmu.Unlock()
	if !sl.serving.Load() {
		return nil, fmt.Errorf("%w: shard %d", ErrNotServing, s)
	}
	return sl.watchCtx, nil
}

// peer returns a (shared) client connection to another node.
func (m *Member) peer(addr string) (*grpc.ClientConn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cc := m.mu.peers[addr]; cc != nil {
		return cc, nil
	}
	var cc *grpc.ClientConn
	var err error
	if m.opts.DialPeer != nil {
		cc, err = m.opts.DialPeer(addr)
	} else {
		cc, err = grpc.NewClient(addr, append(metadatapb.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: dial %s: %w", addr, err)
	}
	m.mu.peers[addr] = cc
	return cc, nil
}
