package cluster

import (
	"fmt"
	"testing"
)

// mapOf builds a map from a compact description: owners[s] is the owner of
// shard s ("" unassigned, "a>b" moving from a to b).
func mapOf(live []string, draining []string, owners ...string) *ShardMap {
	m := &ShardMap{Shards: uint32(len(owners)), Nodes: map[string]NodeInfo{}, Draining: map[string]bool{},
		Entries: make([]*ShardEntry, len(owners)), modRev: make([]int64, len(owners))}
	for _, id := range live {
		m.Nodes[id] = NodeInfo{ID: id, Addr: id + ":1"}
	}
	for _, id := range draining {
		m.Draining[id] = true
	}
	for s, o := range owners {
		switch {
		case o == "":
		case len(o) > 2 && o[1] == '>':
			m.Entries[s] = &ShardEntry{Owner: o[:1], State: StateMoving, Target: o[2:], Epoch: 1}
		default:
			m.Entries[s] = &ShardEntry{Owner: o, State: StateActive, Epoch: 1}
		}
	}
	return m
}

func (a Action) String() string {
	switch a.Kind {
	case ActAssign:
		return fmt.Sprintf("assign %d %s", a.Shard, a.Node)
	case ActMove:
		return fmt.Sprintf("move %d %s", a.Shard, a.Node)
	default:
		return fmt.Sprintf("cancel %d", a.Shard)
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name string
		m    *ShardMap
		opts PlanOptions
		want string
	}{
		{"no nodes: nothing", mapOf(nil, nil, "", ""), PlanOptions{Assign: true}, "[]"},
		{"assign evenly", mapOf([]string{"a", "b", "c"}, nil, "", "", "", "", "", "", ""), PlanOptions{Assign: true},
			"[assign 0 a assign 1 b assign 2 c assign 3 a assign 4 b assign 5 c assign 6 a]"},
		{"assign held back while settling", mapOf([]string{"a"}, nil, "", ""), PlanOptions{}, "[]"},
		{"assign to the least loaded", mapOf([]string{"a", "b"}, nil, "a", "a", "", ""), PlanOptions{Assign: true},
			"[assign 2 b assign 3 b]"},
		{"balanced: nothing", mapOf([]string{"a", "b"}, nil, "a", "b", "a"), PlanOptions{MaxMoves: 4}, "[]"},
		{"join: one move at a time", mapOf([]string{"a", "b"}, nil, "a", "a", "a", "a"), PlanOptions{}, "[move 0 b]"},
		{"join: several moves allowed", mapOf([]string{"a", "b"}, nil, "a", "a", "a", "a"), PlanOptions{MaxMoves: 5}, "[move 0 b move 1 b]"},
		{"in-flight move counts at its target", mapOf([]string{"a", "b"}, nil, "a>b", "a", "a", "a"), PlanOptions{MaxMoves: 5}, "[move 1 b]"},
		{"max moves reached", mapOf([]string{"a", "b"}, nil, "a>b", "a", "a", "a"), PlanOptions{MaxMoves: 1}, "[]"},
		{"drain moves everything away", mapOf([]string{"a", "b", "c"}, []string{"a"}, "a", "a", "b", "c"), PlanOptions{MaxMoves: 5},
			"[move 0 b move 1 c]"},
		{"draining node gets nothing new", mapOf([]string{"a", "b"}, []string{"a"}, "", "b"), PlanOptions{Assign: true}, "[assign 0 b]"},
		{"dead owner: its shards stay", mapOf([]string{"b"}, nil, "a", "a", "a", "b"), PlanOptions{MaxMoves: 5}, "[]"},
		{"dead target: cancel", mapOf([]string{"a"}, nil, "a>b", "a"), PlanOptions{}, "[cancel 0]"},
		{"draining target: cancel", mapOf([]string{"a", "b"}, []string{"b"}, "a>b", "a"), PlanOptions{}, "[cancel 0]"},
		{"dead source moving to live target: wait", mapOf([]string{"b"}, nil, "a>b", "b"), PlanOptions{}, "[]"},
		{"spread of one is even", mapOf([]string{"a", "b", "c"}, nil, "a", "a", "b", "b", "c"), PlanOptions{MaxMoves: 5}, "[]"},
		{"three to one", mapOf([]string{"a", "b", "c", "d"}, nil, "a", "a", "a", "b", "b", "b", "c", "c", "c"), PlanOptions{MaxMoves: 5},
			"[move 0 d move 3 d]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fmt.Sprint(Plan(tt.m, tt.opts))
			if got != tt.want {
				t.Errorf("Plan = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPlanConverges applies plans (completing every move at once) from
// many starting points and checks the result is fully assigned with a
// spread of at most one, in a bounded number of rounds.
func TestPlanConverges(t *testing.T) {
	for _, nodes := range []int{1, 2, 3, 4, 7} {
		for _, shards := range []int{1, 5, 16, 64} {
			var live []string
			for i := 0; i < nodes; i++ {
				live = append(live, fmt.Sprintf("n%d", i))
			}
			owners := make([]string, shards)
			for s := range owners {
				if s%3 != 0 {
					owners[s] = "n0" // everything piled on one node, some unassigned
				}
			}
			m := mapOf(live, nil, owners...)
			for round := 0; ; round++ {
				if round > 2*shards+2 {
					t.Fatalf("%d nodes %d shards: no convergence", nodes, shards)
				}
				acts := Plan(m, PlanOptions{Assign: true, MaxMoves: 3})
				if len(acts) == 0 {
					break
				}
				for _, a := range acts {
					m.Entries[a.Shard] = &ShardEntry{Owner: a.Node, State: StateActive}
				}
			}
			load := map[string]int{}
			for _, e := range m.Entries {
				if e == nil {
					t.Fatalf("%d nodes %d shards: unassigned shard left", nodes, shards)
				}
				load[e.Owner]++
			}
			lo, hi := shards, 0
			for _, id := range live {
				lo, hi = min(lo, load[id]), max(hi, load[id])
			}
			if hi-lo > 1 {
				t.Errorf("%d nodes %d shards: loads %v", nodes, shards, load)
			}
		}
	}
}
