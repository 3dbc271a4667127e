package state

import (
	"sort"

	"github.com/postbus/postbus/proto/metadatapb"
)

// uidRange is an inclusive range of UIDs, lo <= hi.
type uidRange struct{ lo, hi uint32 }

// normalize turns a UidSet into sorted, disjoint, inclusive ranges. A stop
// of 0 means "to the end"; start 0 is read as 1 (UID 0 does not exist);
// reversed ranges are swapped (RFC 9051 §9 seq-range is unordered).
func normalize(set *metadatapb.UidSet) []uidRange {
	if set == nil {
		return nil
	}
	out := make([]uidRange, 0, len(set.Ranges))
	for _, r := range set.GetRanges() {
		lo, hi := r.GetStart(), r.GetStop()
		if hi == 0 {
			hi = ^uint32(0)
		}
		if lo == 0 {
			lo = 1
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		out = append(out, uidRange{lo, hi})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && (merged[n-1].hi == ^uint32(0) || r.lo <= merged[n-1].hi+1) {
			merged[n-1].hi = max(merged[n-1].hi, r.hi)
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// allUIDs is the range set of every UID.
var allUIDs = []uidRange{{1, ^uint32(0)}}
