package cluster

import (
	"reflect"
	"testing"
)

func TestHandoffTransitions(t *testing.T) {
	mapOf := func(es ...*ShardEntry) *ShardMap { return &ShardMap{Shards: uint32(len(es)), Entries: es} }
	moving := func(owner, target string) *ShardEntry {
		return &ShardEntry{Owner: owner, Epoch: 1, State: StateMoving, Target: target}
	}
	active := func(owner string) *ShardEntry { return &ShardEntry{Owner: owner, Epoch: 2, State: StateActive} }
	tests := []struct {
		name      string
		prev, cur *ShardMap
		want      [][2]string
	}{
		{"out completed", mapOf(moving("a", "b")), mapOf(active("b")), [][2]string{{HandoffOut, HandoffCompleted}}},
		{"in completed", mapOf(moving("b", "a")), mapOf(active("a")), [][2]string{{HandoffIn, HandoffCompleted}}},
		{"out cancelled", mapOf(moving("a", "b")), mapOf(active("a")), [][2]string{{HandoffOut, HandoffCancelled}}},
		{"retargeted", mapOf(moving("a", "b")), mapOf(moving("a", "c")), [][2]string{{HandoffOut, HandoffCancelled}}},
		{"still moving", mapOf(moving("a", "b")), mapOf(moving("a", "b")), nil},
		{"others' handoff", mapOf(moving("b", "c")), mapOf(active("c")), nil},
		{"entry gone", mapOf(moving("a", "b")), mapOf(nil), [][2]string{{HandoffOut, HandoffCancelled}}},
		{"two shards", mapOf(moving("a", "b"), moving("c", "a")), mapOf(active("b"), active("a")),
			[][2]string{{HandoffOut, HandoffCompleted}, {HandoffIn, HandoffCompleted}}},
	}
	for _, tt := range tests {
		if got := handoffTransitions("a", tt.prev, tt.cur); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
