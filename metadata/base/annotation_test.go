package base

import (
	"errors"
	"strings"
	"testing"
)

func TestCanonicalEntry(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means invalid
	}{
		{"/private/comment", "/private/comment"},
		{"/Shared/Comment", "/shared/comment"},
		{"/PRIVATE/vendor/vendor.dovecot/x y", "/private/vendor/vendor.dovecot/x y"},
		{"/shared/a/b/c/d", "/shared/a/b/c/d"},
		{"/shared/" + strings.Repeat("x", MaxEntryName-8), "/shared/" + strings.Repeat("x", MaxEntryName-8)},
		{"", ""},
		{"comment", ""},
		{"/comment", ""},
		{"/shared", ""},
		{"/private", ""},
		{"/shared/", ""},
		{"/sharedx/comment", ""},
		{"/shared//comment", ""},
		{"/shared/comment/", ""},
		{"/shared/comm*", ""},
		{"/shared/comm%", ""},
		{"/shared/c\x00", ""},
		{"/shared/c\x19", ""},
		{"/shared/c\x1f", ""},
		{"/shared/c\x7f", ""},
		{"/shared/c\xc3\xb6mment", ""},
		{"/shared/" + strings.Repeat("x", MaxEntryName-7), ""},
	} {
		got, err := CanonicalEntry(tc.in)
		if tc.want == "" {
			var ee *EntryError
			if !errors.As(err, &ee) || !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("CanonicalEntry(%q) = %q, %v; want an EntryError", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("CanonicalEntry(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzCanonicalEntry: never panics, accepts only what it would accept
// again unchanged, and never lets a control or wildcard octet through.
func FuzzCanonicalEntry(f *testing.F) {
	for _, s := range []string{"/private/comment", "/shared//x", "/Shared/A*", "/private/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CanonicalEntry(in)
		if err != nil {
			return
		}
		again, err := CanonicalEntry(got)
		if err != nil || again != got {
			t.Fatalf("canonical %q not stable: %q, %v", got, again, err)
		}
		if strings.ContainsAny(got, "*%\x00\r\n") || strings.Contains(got, "//") {
			t.Fatalf("accepted %q", got)
		}
	})
}
