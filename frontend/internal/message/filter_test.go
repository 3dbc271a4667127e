package message

import (
	"bytes"
	"strings"
	"testing"
)

// filterFieldsReference is the straightforward HEADER.FIELDS filter over
// the parsed header; filterFields must give the same bytes.
func filterFieldsReference(raw []byte, names []string, not bool) []byte {
	h := parseHeader(raw)
	var out []byte
	for _, f := range h.fields {
		match := false
		for _, n := range names {
			if f.name != "" && strings.EqualFold(f.name, n) {
				match = true
				break
			}
		}
		if match != not {
			out = append(out, f.raw...)
			if n := len(f.raw); n == 0 || f.raw[n-1] != '\n' {
				out = append(out, "\r\n"...)
			}
		}
	}
	return append(out, h.end...)
}

var filterSeeds = []string{
	"From: a@b\r\nTo: c@d\r\nSubject: hi\r\n\r\nbody",
	"from: a\r\n  folded\r\nX: y\r\n\tmore\r\nSUBJECT: s\r\n\r\n",
	" leading continuation\r\nFrom: a\r\nnocolon line\r\n cont of nothing\r\nTo: b",
	"Subject: no final newline",
	"From: a\nTo: b\n\nbare LF",
	"\u212a: kelvin\r\nK: k\r\n\r\n",
	": empty name\r\nFrom : spaced\r\n\r\n",
	"",
	strings.Repeat("x", 70) + ": long name\r\n" + strings.Repeat("X", 70) + ": LONG\r\n\r\n",
}

func TestFilterFieldsMatchesReference(t *testing.T) {
	for _, raw := range filterSeeds {
		for _, names := range [][]string{{"From", "to", "SUBJECT"}, {"k"}, {"\u212a"}, {"x"}, {}, {"From "}, {strings.Repeat("x", 70), "To"}} {
			for _, not := range []bool{false, true} {
				got, want := filterFields([]byte(raw), names, not), filterFieldsReference([]byte(raw), names, not)
				if !bytes.Equal(got, want) {
					t.Errorf("filter %q %q not=%v:\n got %q\nwant %q", raw, names, not, got, want)
				}
			}
		}
	}
}

func FuzzFilterFields(f *testing.F) {
	for _, s := range filterSeeds {
		f.Add(s, "From", "k", false)
	}
	f.Fuzz(func(t *testing.T, raw, n1, n2 string, not bool) {
		names := []string{n1, n2}
		got, want := filterFields([]byte(raw), names, not), filterFieldsReference([]byte(raw), names, not)
		if !bytes.Equal(got, want) {
			t.Fatalf("filter %q %q not=%v:\n got %q\nwant %q", raw, names, not, got, want)
		}
	})
}
