package base

import "testing"

// ShardOf is part of the on-disk format (every per-user key starts with the
// shard) and of the cluster's routing: these values must never change.
func TestShardOfIsStable(t *testing.T) {
	golden := map[string]uint32{
		"alice":               263,
		"bob":                 596,
		"":                    805,
		"ünïcode@example.org": 301,
	}
	for u, want := range golden {
		if got := ShardOf(u, 1024); got != want {
			t.Errorf("ShardOf(%q, 1024) = %d, want %d", u, got, want)
		}
		// The definition: FNV-1a 64 of the name, modulo the shard count.
		if got, def := ShardOf(u, 1024), uint32(fnv1a(u)%1024); got != def {
			t.Errorf("ShardOf(%q) = %d, FNV-1a says %d", u, got, def)
		}
	}
	for _, u := range []string{"a", "b", "c"} {
		if s := ShardOf(u, 7); s >= 7 {
			t.Errorf("ShardOf(%q, 7) = %d out of range", u, s)
		}
	}
}

// fnv1a is FNV-1a 64 written out from its definition, independent of
// hash/fnv.
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
