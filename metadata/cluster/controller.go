package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// ControllerOptions configures RunController.
type ControllerOptions struct {
	Prefix string
	// ID is this candidate's name in the election (the node id).
	ID     string
	Logger *slog.Logger
	// MaxMoves bounds concurrent handoffs; 0 means 1 (one at a time).
	MaxMoves int
	// AssignDelay is how long membership must be stable before unassigned
	// shards are assigned; 0 assigns at once (a single-node cluster).
	AssignDelay time.Duration
	// SessionTTL is the election lease TTL in seconds; 0 means 5.
	SessionTTL int
}

// RunController campaigns for leadership of the cluster under opts.Prefix
// and, while leader, drives the shard map towards Plan's goal. It returns
// when ctx is done. Every write is a transaction that compares the shard
// entry's ModRevision with the one the plan was made from and the leader
// key with this leader's, so a deposed leader or a stale plan writes
// nothing.
func RunController(ctx context.Context, cli *clientv3.Client, w *MapWatcher, opts ControllerOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	ttl := opts.SessionTTL
	if ttl <= 0 {
		ttl = 5
	}
	k := newKeys(opts.Prefix)
	for ctx.Err() == nil {
		sess, err := concurrency.NewSession(cli, concurrency.WithTTL(ttl), concurrency.WithContext(ctx))
		if err != nil {
			log.Warn("cluster: controller session", "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		el := concurrency.NewElection(sess, k.election())
		// Campaign, when cancelled, resigns with the client's own context,
		// which blocks while etcd is unreachable: never wait for it after
		// ctx is done (it ends when etcd answers or the client closes).
		won := make(chan error, 1)
		go func() { won <- el.Campaign(ctx, opts.ID) }()
		select {
		case err = <-won:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			sess.Close()
			log.Warn("cluster: controller campaign", "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		log.Info("cluster: controller elected", "id", opts.ID)
		c := &controller{cli: cli, w: w, keys: k, log: log, opts: opts, el: el, sess: sess}
		c.lead(ctx)
		rctx, cancel := context.WithTimeout(context.Background(), time.Second)
		el.Resign(rctx)
		cancel()
		sess.Close()
	}
	return nil
}

type controller struct {
	cli  *clientv3.Client
	w    *MapWatcher
	keys keys
	log  *slog.Logger
	opts ControllerOptions
	el   *concurrency.Election
	sess *concurrency.Session
}

// lead plans and applies until leadership or ctx ends.
func (c *controller) lead(ctx context.Context) {
	var members []string
	stableSince := time.Now()
	for {
		changed := c.w.Changed()
		m := c.w.Current()
		if ids := m.NodeIDs(); !slices.Equal(ids, members) {
			members, stableSince = ids, time.Now()
		}
		settled := time.Since(stableSince) >= c.opts.AssignDelay
		acts := Plan(m, PlanOptions{MaxMoves: c.opts.MaxMoves, Assign: settled})
		if len(acts) > 0 && m.Shards > 0 {
			rev, err := c.apply(ctx, m, acts)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				c.log.Warn("cluster: controller apply", "err", err)
				sleepCtx(ctx, 200*time.Millisecond)
			} else if rev > 0 {
				// Plan again only from a map that includes our writes.
				wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				c.w.WaitRevision(wctx, rev)
				cancel()
			} else {
				// A compare failed: our map is behind. Wait for it.
				select {
				case <-changed:
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
			select {
			case <-c.sess.Done():
				return
			default:
			}
			continue
		}
		wait := 2 * time.Second
		if !settled {
			wait = c.opts.AssignDelay - time.Since(stableSince) + 10*time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-c.sess.Done():
			t.Stop()
			c.log.Warn("cluster: controller lost its session")
			return
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// assignBatch bounds one assignment transaction (etcd's default limit is
// 128 operations per branch; the leader compare takes one).
const assignBatch = 100

// apply writes the actions and returns the highest revision written, or
// 0 if every compare failed (the map moved on: plan again).
func (c *controller) apply(ctx context.Context, m *ShardMap, acts []Action) (int64, error) {
	var rev int64
	var assign []Action
	flushAssign := func() error {
		if len(assign) == 0 {
			return nil
		}
		r, err := c.txn(ctx, m, assign)
		assign = assign[:0]
		rev = max(rev, r)
		return err
	}
	for _, a := range acts {
		if a.Kind == ActAssign {
			assign = append(assign, a)
			if len(assign) == assignBatch {
				if err := flushAssign(); err != nil {
					return rev, err
				}
			}
			continue
		}
		r, err := c.txn(ctx, m, []Action{a})
		if err != nil {
			return rev, err
		}
		rev = max(rev, r)
	}
	return rev, flushAssign()
}

// txn applies actions atomically; it returns the commit revision, or 0 if
// a compare failed.
func (c *controller) txn(ctx context.Context, m *ShardMap, acts []Action) (int64, error) {
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(c.el.Key()), "=", c.el.Rev())}
	var ops []clientv3.Op
	for _, a := range acts {
		key := c.keys.shard(a.Shard)
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(key), "=", m.modRev[a.Shard]))
		var e ShardEntry
		switch a.Kind {
		case ActAssign:
			e = ShardEntry{Owner: a.Node, Epoch: 1, State: StateActive}
			c.log.Debug("cluster: assign", "shard", a.Shard, "node", a.Node)
		case ActMove:
			cur := *m.Entries[a.Shard]
			e = ShardEntry{Owner: cur.Owner, Epoch: cur.Epoch, State: StateMoving, Target: a.Node}
			c.log.Info("cluster: move shard", "shard", a.Shard, "from", cur.Owner, "to", a.Node)
		case ActCancel:
			cur := *m.Entries[a.Shard]
			e = ShardEntry{Owner: cur.Owner, Epoch: cur.Epoch, State: StateActive}
			c.log.Info("cluster: cancel handoff", "shard", a.Shard, "owner", cur.Owner, "target", cur.Target)
		default:
			return 0, fmt.Errorf("cluster: unknown action %d", a.Kind)
		}
		ops = append(ops, clientv3.OpPut(key, mustJSON(e)))
	}
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.cli.Txn(tctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return 0, fmt.Errorf("cluster: controller txn: %w", err)
	}
	if !resp.Succeeded {
		return 0, nil
	}
	return resp.Header.Revision, nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Leader returns the id of the current controller, or "" if there is none.
func Leader(ctx context.Context, cli *clientv3.Client, prefix string) (string, error) {
	resp, err := cli.Get(ctx, newKeys(prefix).election()+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return "", fmt.Errorf("cluster: leader: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}
