package lmtp

import (
	"reflect"
	"testing"
)

func TestParseRecipient(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  recipient
		ok    bool
		users []string
	}{
		{"bob@example.org", recipient{"bob", "", "example.org"}, true, []string{"bob@example.org", "bob"}},
		{"bob", recipient{"bob", "", ""}, true, []string{"bob"}},
		{"Bob@Example.org", recipient{"Bob", "", "Example.org"}, true, []string{"Bob@Example.org", "Bob", "bob@example.org", "bob"}},
		{"bob+Lists/Go@example.org", recipient{"bob", "Lists/Go", "example.org"}, true, nil},
		{"bob+a+b@x", recipient{"bob", "a+b", "x"}, true, nil},
		{"bob+@x", recipient{"bob", "", "x"}, true, nil},
		{`"b\"o b"@x`, recipient{`b"o b`, "", "x"}, true, nil},
		{"+detail@x", recipient{"", "detail", "x"}, false, nil},
		{"@x", recipient{"", "", "x"}, false, nil},
		{"", recipient{}, false, nil},
	} {
		got, ok := parseRecipient(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRecipient(%q) = %+v %v, want %+v %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if tc.users != nil && !reflect.DeepEqual(got.userCandidates(), tc.users) {
			t.Errorf("%q: candidates %q", tc.in, got.userCandidates())
		}
	}
}
