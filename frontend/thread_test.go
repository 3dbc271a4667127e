package frontend

import (
	"errors"
	"testing"
)

func TestFormatThreads(t *testing.T) {
	ident := func(u uint32) uint32 { return u }
	tests := []struct {
		name         string
		uids, counts []uint32
		want         string
	}{
		{"empty", nil, nil, ""},
		{"singles", []uint32{1, 2}, []uint32{0, 0}, "(1)(2)"},
		{"chain", []uint32{1, 2, 3}, []uint32{1, 1, 0}, "(1 2 3)"},
		{"RFC 5256 §4 shape", []uint32{3, 6, 4, 23, 44, 7, 96}, []uint32{1, 2, 1, 0, 1, 1, 0}, "(3 6 (4 23)(44 7 96))"},
		{"dummy root", []uint32{0, 5, 6, 7, 8}, []uint32{2, 0, 2, 0, 0}, "((5)(6 (7)(8)))"},
		{"dummy with one child", []uint32{0, 5}, []uint32{1, 0}, "(5)"},
	}
	for _, tt := range tests {
		got, err := formatThreads(tt.uids, tt.counts, ident)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	bad := []struct {
		name         string
		uids, counts []uint32
	}{
		{"lengths differ", []uint32{1}, nil},
		{"child missing", []uint32{1}, []uint32{1}},
		{"children missing", []uint32{1, 2}, []uint32{3, 0}},
		{"childless dummy", []uint32{0}, []uint32{0}},
		{"unknown uid", []uint32{99}, []uint32{0}},
	}
	for _, tt := range bad {
		_, err := formatThreads(tt.uids, tt.counts, func(u uint32) uint32 {
			if u == 99 {
				return 0
			}
			return u
		})
		if !errors.Is(err, errThreadForm) {
			t.Errorf("%s: err = %v, want errThreadForm", tt.name, err)
		}
	}
	// Sequence numbers, not UIDs, when asked.
	if got, _ := formatThreads([]uint32{10, 20}, []uint32{1, 0}, func(u uint32) uint32 { return u / 10 }); got != "(1 2)" {
		t.Errorf("mapped: %q", got)
	}
}
