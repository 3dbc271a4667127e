package metadata

import (
	"testing"

	"github.com/postbus/postbus/metadata/internal/schema"
)

func TestMergeRun(t *testing.T) {
	// segs builds contiguous segments of 10 UIDs with the given message
	// counts and 100 postings each.
	segs := func(counts ...uint32) []segInfo {
		var out []segInfo
		for i, c := range counts {
			start := uint32(1 + 10*i)
			out = append(out, segInfo{start: start, rec: schema.TextSegment{End: start + 9, Count: c, Postings: 100}})
		}
		return out
	}
	const size = 10
	for _, tc := range []struct {
		name        string
		segs        []segInfo
		maxPostings int
		first, n    int // the run: segs[first:first+n]; n 0 for none
	}{
		{"eight full", segs(10, 10, 10, 10, 10, 10, 10, 10), 1000, 0, 8},
		{"seven", segs(10, 10, 10, 10, 10, 10, 10), 1000, 0, 0},
		{"a merged one first", segs(80, 10, 10, 10, 10, 10, 10, 10, 10), 1000, 1, 8},
		{"a sparse one", segs(10, 10, 10, 4, 10, 10, 10, 10, 10), 1000, 0, 0},
		{"half full is dense", segs(5, 10, 10, 10, 10, 10, 10, 10), 1000, 0, 8},
		{"capped by postings", segs(10, 10, 10, 10, 10, 10, 10, 10), 350, 0, 3},
		{"cap below two", segs(10, 10, 10, 10, 10, 10, 10, 10, 10), 150, 0, 0},
	} {
		got := mergeRun(tc.segs, size, tc.maxPostings)
		if tc.n == 0 {
			if got != nil {
				t.Errorf("%s: run of %d from %d, want none", tc.name, len(got), got[0].start)
			}
			continue
		}
		if len(got) != tc.n || got[0].start != tc.segs[tc.first].start {
			t.Errorf("%s: got %d segments, want %d from %d", tc.name, len(got), tc.n, tc.first)
		}
	}
	gap := segs(10, 10, 10, 10, 10, 10, 10, 10)
	gap[4].start++ // not contiguous with its predecessor
	if got := mergeRun(gap, size, 1000); got != nil {
		t.Errorf("run across a gap: %d segments", len(got))
	}
}
