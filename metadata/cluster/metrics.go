package cluster

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Cluster metrics of one member, read from the shard map it follows:
//
//	postbus_cluster_session_up          1 while the node's record (under its etcd lease) is in the map, else 0
//	postbus_cluster_shards_owned        shards the map gives this node
//	postbus_cluster_shards_serving      shards this node admits requests for now
//	postbus_cluster_shards_total        the cluster's shard count
//	postbus_cluster_nodes               live nodes in the map
//	postbus_cluster_handoffs_total      handoffs seen to end, by direction (out, in) and result (completed, cancelled)
//
// Handoffs are counted from map transitions (a "moving" entry that becomes
// owned by its target completed; one that stops moving otherwise was
// cancelled or retargeted). Transitions between two map versions the
// watcher coalesced are not seen.

// Handoff label values.
const (
	HandoffOut       = "out"
	HandoffIn        = "in"
	HandoffCompleted = "completed"
	HandoffCancelled = "cancelled"
)

// RegisterMetrics registers m's metrics with reg and counts handoffs until
// ctx is done. Registering twice on one registry panics.
func RegisterMetrics(ctx context.Context, reg prometheus.Registerer, m *Member) {
	handoffs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "postbus_cluster_handoffs_total",
		Help: "Shard handoffs this node took part in, by direction (out, in) and result (completed, cancelled).",
	}, []string{"direction", "result"})
	reg.MustRegister(handoffs, &memberCollector{m: m})
	go countHandoffs(ctx, m, handoffs)
}

// countHandoffs follows the map and counts the handoffs that end.
func countHandoffs(ctx context.Context, m *Member, c *prometheus.CounterVec) {
	w := m.Map()
	prev := w.Current()
	for {
		ch := w.Changed()
		cur := w.Current()
		for _, h := range handoffTransitions(m.ID(), prev, cur) {
			c.WithLabelValues(h[0], h[1]).Inc()
		}
		prev = cur
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

// handoffTransitions lists the (direction, result) of every handoff of
// node that is under way in prev and no longer in cur.
func handoffTransitions(node string, prev, cur *ShardMap) [][2]string {
	var out [][2]string
	for s, p := range prev.Entries {
		if p == nil || p.State != StateMoving || (p.Owner != node && p.Target != node) {
			continue
		}
		c, _ := cur.Entry(uint32(s))
		if c.State == StateMoving && c.Owner == p.Owner && c.Target == p.Target {
			continue // still under way
		}
		dir := HandoffOut
		if p.Target == node {
			dir = HandoffIn
		}
		result := HandoffCancelled
		if c.Owner == p.Target {
			result = HandoffCompleted
		}
		out = append(out, [2]string{dir, result})
	}
	return out
}

var (
	clusterSessionUp = prometheus.NewDesc("postbus_cluster_session_up",
		"1 while this node's record, kept alive by its etcd lease, is in the shard map; else 0.", nil, nil)
	clusterOwned = prometheus.NewDesc("postbus_cluster_shards_owned",
		"Shards the shard map gives this node (including those it is handing off).", nil, nil)
	clusterServing = prometheus.NewDesc("postbus_cluster_shards_serving",
		"Shards this node admits requests for now.", nil, nil)
	clusterShards = prometheus.NewDesc("postbus_cluster_shards_total",
		"The cluster's shard count.", nil, nil)
	clusterNodes = prometheus.NewDesc("postbus_cluster_nodes",
		"Live nodes in the shard map.", nil, nil)
)

// memberCollector reads the gauges from the current map at each scrape.
type memberCollector struct{ m *Member }

func (c *memberCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{clusterSessionUp, clusterOwned, clusterServing, clusterShards, clusterNodes} {
		ch <- d
	}
}

func (c *memberCollector) Collect(ch chan<- prometheus.Metric) {
	mp := c.m.Map().Current()
	id := c.m.ID()
	up := 0.0
	if _, ok := mp.Nodes[id]; ok {
		up = 1
	}
	serving := 0
	for s := uint32(0); s < mp.Shards; s++ {
		if c.m.Serving(s) {
			serving++
		}
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	gauge(clusterSessionUp, up)
	gauge(clusterOwned, float64(len(mp.Owned(id))))
	gauge(clusterServing, float64(serving))
	gauge(clusterShards, float64(mp.Shards))
	gauge(clusterNodes, float64(len(mp.Nodes)))
}
