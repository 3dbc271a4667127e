package main

import (
	"errors"
	"testing"
)

func TestParseQuotaSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		err  bool
	}{
		{"0", 0, false},
		{"1", 1, false}, // octets round up to a whole KiB
		{"1024", 1, false},
		{"1025", 2, false},
		{"100K", 100, false},
		{"500M", 500 * 1024, false},
		{"2G", 2 << 20, false},
		{"2g", 2 << 20, false},
		{"2GB", 2 << 20, false},
		{"2GiB", 2 << 20, false},
		{"1T", 1 << 30, false},
		{"", 0, true},
		{"M", 0, true},
		{"-1", 0, true},
		{"1.5G", 0, true},
		{"12X", 0, true},
		{"99999999999999999999T", 0, true},
		{"17179869184T", 0, true}, // 2^34 TiB overflows KiB in 64 bits
	} {
		got, err := parseQuotaSize(tc.in)
		if tc.err {
			if !errors.Is(err, errQuotaSize) {
				t.Errorf("parseQuotaSize(%q) = %d, %v; want an error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseQuotaSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}
