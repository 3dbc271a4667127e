package headerfields

import (
	"strings"
	"testing"
)

func TestFilter(t *testing.T) {
	const hdr = "Received: a\r\n b\r\nFrom: ann\r\nsubject: hi\r\n folded\r\nno colon\r\n\u212aey: kelvin\r\n\r\n"
	long := strings.Repeat("n", 64)
	for _, tc := range []struct {
		names []string
		not   bool
		want  string
	}{
		{[]string{"FROM", "Subject"}, false, "From: ann\r\nsubject: hi\r\n folded\r\n\r\n"},
		{[]string{"from"}, true, "Received: a\r\n b\r\nsubject: hi\r\n folded\r\nno colon\r\n\u212aey: kelvin\r\n\r\n"},
		// U+212A folds to k: an ASCII name matches a non-ASCII field.
		{[]string{"KEY"}, false, "\u212aey: kelvin\r\n\r\n"},
		{[]string{long, "nothing"}, false, "\r\n"},
		{nil, false, "\r\n"},
	} {
		if got := string(Filter(nil, []byte(hdr), tc.names, tc.not)); got != tc.want {
			t.Errorf("Filter(%q, not=%v) = %q, want %q", tc.names, tc.not, got, tc.want)
		}
	}
	// Appends to dst, and a Set gives what Filter gives.
	s := Compile([]string{"from"}, false)
	if got := string(s.Filter([]byte("prefix|"), []byte(hdr))); got != "prefix|From: ann\r\n\r\n" {
		t.Errorf("Set.Filter appended %q", got)
	}
	// No blank line in the header: none in the answer; a last line
	// without a line break gets one.
	if got := string(Filter(nil, []byte("From: a\r\nTo: b"), []string{"to"}, false)); got != "To: b\r\n" {
		t.Errorf("header without blank line: %q", got)
	}
}
