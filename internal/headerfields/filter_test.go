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

func TestListHeader(t *testing.T) {
	raw := []byte("Received: x\r\nFROM: a\r\n b\r\nX-Junk: y\r\nsubject: s\r\n\r\n")
	stored := ListHeader(raw)
	if stored[0] != ListVersion || string(stored[1:]) != "FROM: a\r\n b\r\nsubject: s\r\n\r\n" {
		t.Fatalf("ListHeader = %q", stored)
	}
	if _, ok := FromList(append([]byte{ListVersion + 1}, stored[1:]...)); ok {
		t.Error("FromList took a list header of another version")
	}
	if _, ok := FromList(nil); ok {
		t.Error("FromList took an empty value")
	}
	for _, tc := range []struct {
		names []string
		not   bool
		want  bool
	}{
		{[]string{"From", "TO", "subject"}, false, true},
		{[]string{"From", "X-Junk"}, false, false},
		{[]string{"From"}, true, false},
		{nil, false, true},
	} {
		if got := Compile(tc.names, tc.not).Listed(); got != tc.want {
			t.Errorf("Compile(%q, %v).Listed() = %v", tc.names, tc.not, got)
		}
	}
}

// FuzzListHeader checks the claim Listed makes: a listed Set gives the
// same bytes on the list header as on the whole header.
func FuzzListHeader(f *testing.F) {
	f.Add("From: a\r\nReceived: b\r\n c\r\nTo: d\r\n\r\nbody", 0, 1, 2)
	f.Add("Subject: x", 3, 4, 5)
	f.Add("\u212a: y\r\nno colon\r\n cont\r\nDate: z\n\n", 6, 0, 1)
	pool := []string{"From", "to", "SUBJECT", "date", "Message-ID", "references", "x-junk", "Received", "k"}
	f.Fuzz(func(t *testing.T, raw string, a, b, c int) {
		var names []string
		for _, i := range []int{a, b, c} {
			names = append(names, pool[uint(i)%uint(len(pool))])
		}
		s := Compile(names, false)
		if !s.Listed() {
			return
		}
		list, ok := FromList(ListHeader([]byte(raw)))
		if !ok {
			t.Fatal("FromList refused ListHeader's output")
		}
		if got, want := s.Filter(nil, list), s.Filter(nil, []byte(raw)); string(got) != string(want) {
			t.Fatalf("names %q on %q: from list %q, from header %q", names, raw, got, want)
		}
	})
}
