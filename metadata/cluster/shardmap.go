package cluster

import (
	"sort"

	"github.com/postbus/postbus/metadata/base"
)

// ShardMap is one consistent view of the cluster at an etcd revision: the
// shard count, the live nodes and the owner of every shard. A ShardMap is
// immutable; MapWatcher publishes a new one at every change.
type ShardMap struct {
	// Revision is the etcd revision this view reflects.
	Revision int64
	// Shards is the cluster's shard count S.
	Shards uint32
	// Nodes are the registered (live) nodes by id.
	Nodes map[string]NodeInfo
	// Draining are the ids of nodes asked to give their shards away.
	Draining map[string]bool
	// Entries has one element per shard; a nil element is unassigned.
	Entries []*ShardEntry
	// modRev is the etcd ModRevision of each assigned entry, for CAS.
	modRev []int64
}

// ShardOf is the shard of user in this cluster.
// A map read before the cluster exists (Shards == 0) puts everyone in shard
// 0, which is then unassigned.
func (m *ShardMap) ShardOf(user string) uint32 {
	if m.Shards == 0 {
		return 0
	}
	return base.ShardOf(user, m.Shards)
}

// Entry returns the entry of shard s and whether it is assigned.
func (m *ShardMap) Entry(s uint32) (ShardEntry, bool) {
	if s >= uint32(len(m.Entries)) || m.Entries[s] == nil {
		return ShardEntry{}, false
	}
	return *m.Entries[s], true
}

// Route is where the requests of one shard go.
type Route struct {
	Shard uint32
	Entry ShardEntry
	Node  NodeInfo // the owner's record; zero if Live is false
	Live  bool     // the owner is registered
}

// RouteOf returns the route of user's shard; ok is false when the shard is
// unassigned.
func (m *ShardMap) RouteOf(user string) (r Route, ok bool) {
	r.Shard = m.ShardOf(user)
	r.Entry, ok = m.Entry(r.Shard)
	if !ok {
		return r, false
	}
	r.Node, r.Live = m.Nodes[r.Entry.Owner]
	return r, true
}

// OwnerOf returns the live owner of user's shard and the shard's epoch; ok
// is false when the shard is unassigned or its owner is not registered.
func (m *ShardMap) OwnerOf(user string) (NodeInfo, uint64, bool) {
	r, ok := m.RouteOf(user)
	if !ok || !r.Live {
		return NodeInfo{}, 0, false
	}
	return r.Node, r.Entry.Epoch, true
}

// Owned returns the shards whose entry names node as owner, ascending.
func (m *ShardMap) Owned(node string) []uint32 {
	var out []uint32
	for s, e := range m.Entries {
		if e != nil && e.Owner == node {
			out = append(out, uint32(s))
		}
	}
	return out
}

// Complete reports whether every shard is assigned and active: the state
// of a settled cluster.
func (m *ShardMap) Complete() bool {
	if m.Shards == 0 || len(m.Entries) != int(m.Shards) {
		return false
	}
	for _, e := range m.Entries {
		if e == nil || e.State != StateActive {
			return false
		}
	}
	return true
}

// NodeIDs returns the ids of the live nodes, sorted.
func (m *ShardMap) NodeIDs() []string {
	ids := make([]string, 0, len(m.Nodes))
	for id := range m.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// clone copies m so a watcher can apply changes to the copy.
func (m *ShardMap) clone() *ShardMap {
	c := &ShardMap{
		Revision: m.Revision,
		Shards:   m.Shards,
		Nodes:    make(map[string]NodeInfo, len(m.Nodes)),
		Draining: make(map[string]bool, len(m.Draining)),
		Entries:  append([]*ShardEntry(nil), m.Entries...),
		modRev:   append([]int64(nil), m.modRev...),
	}
	for k, v := range m.Nodes {
		c.Nodes[k] = v
	}
	for k, v := range m.Draining {
		c.Draining[k] = v
	}
	return c
}
