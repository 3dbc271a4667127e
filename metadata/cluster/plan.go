package cluster

import "sort"

// ActionKind is what the controller does to one shard entry.
type ActionKind int

// Action kinds.
const (
	// ActAssign gives an unassigned shard to Node.
	ActAssign ActionKind = iota
	// ActMove starts a handoff of an active shard to Node.
	ActMove
	// ActCancel ends a handoff whose target is gone or draining: the owner
	// keeps the shard and serves it again.
	ActCancel
)

// Action is one step of a plan.
type Action struct {
	Kind  ActionKind
	Shard uint32
	Node  string // new owner (assign) or handoff target (move)
}

// PlanOptions tunes Plan.
type PlanOptions struct {
	// MaxMoves bounds the handoffs in flight at once (at least 1).
	MaxMoves int
	// Assign allows assigning unassigned shards; the controller holds it
	// back while membership is settling so that nodes that start together
	// get an even share without handoffs.
	Assign bool
}

// Plan computes the next steps towards an even, fully assigned map. It is a
// pure function of the map (see the package doc for the algorithm).
func Plan(m *ShardMap, opts PlanOptions) []Action {
	maxMoves := max(opts.MaxMoves, 1)
	var eligible []string
	load := map[string]int{}
	for _, id := range m.NodeIDs() {
		if !m.Draining[id] {
			eligible = append(eligible, id)
			load[id] = 0
		}
	}
	var acts []Action
	inflight := 0
	for s, e := range m.Entries {
		if e == nil {
			continue
		}
		switch {
		case e.State == StateMoving:
			_, live := m.Nodes[e.Target]
			if !live || m.Draining[e.Target] || e.Target == e.Owner {
				acts = append(acts, Action{Kind: ActCancel, Shard: uint32(s)})
				if _, ok := load[e.Owner]; ok {
					load[e.Owner]++
				}
				continue
			}
			inflight++
			load[e.Target]++
		default:
			if _, ok := load[e.Owner]; ok {
				load[e.Owner]++
			}
		}
	}
	if len(eligible) == 0 {
		return acts
	}
	// least is the eligible node with the smallest load, lowest id first.
	least := func() string {
		best := eligible[0]
		for _, id := range eligible[1:] {
			if load[id] < load[best] {
				best = id
			}
		}
		return best
	}
	if opts.Assign {
		for s, e := range m.Entries {
			if e == nil {
				n := least()
				load[n]++
				acts = append(acts, Action{Kind: ActAssign, Shard: uint32(s), Node: n})
			}
		}
	}
	moving := map[uint32]bool{}
	// Draining nodes give every active shard away, lowest shard first.
	for s, e := range m.Entries {
		if inflight >= maxMoves {
			return acts
		}
		if e == nil || e.State != StateActive || !m.Draining[e.Owner] {
			continue
		}
		if _, live := m.Nodes[e.Owner]; !live {
			continue // nobody to stream it: it waits for its owner
		}
		n := least()
		load[n]++
		inflight++
		moving[uint32(s)] = true
		acts = append(acts, Action{Kind: ActMove, Shard: uint32(s), Node: n})
	}
	// Balance: move from the most to the least loaded eligible node until
	// the spread is at most one.
	for inflight < maxMoves {
		ids := append([]string(nil), eligible...)
		sort.SliceStable(ids, func(i, j int) bool { return load[ids[i]] > load[ids[j]] })
		fewest := least()
		most, shard, ok := "", uint32(0), false
		for _, id := range ids {
			if load[id]-load[fewest] <= 1 {
				break
			}
			for s, e := range m.Entries {
				if e != nil && e.State == StateActive && e.Owner == id && !moving[uint32(s)] {
					most, shard, ok = id, uint32(s), true
					break
				}
			}
			if ok {
				break
			}
		}
		if !ok {
			break // balanced, or the excess is incoming handoffs: wait for them
		}
		load[most]--
		load[fewest]++
		inflight++
		moving[shard] = true
		acts = append(acts, Action{Kind: ActMove, Shard: shard, Node: fewest})
	}
	return acts
}
