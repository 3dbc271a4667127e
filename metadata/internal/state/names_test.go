package state

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

func TestCanonicalName(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"INBOX", "INBOX", true},
		{"inbox", "INBOX", true},
		{"InBoX/Sub", "INBOX/Sub", true},
		{"INBOXes", "INBOXes", true},
		{"a/b/c", "a/b/c", true},
		{"Entwürfe", "Entwürfe", true},
		{"with space", "with space", true},
		{"", "", false},
		{"/a", "", false},
		{"a/", "", false},
		{"a//b", "", false},
		{"a*", "", false},
		{"a%", "", false},
		{"a\x00b", "", false},
		{"a\tb", "", false},
		{"a\x7f", "", false},
		{"a\u0085", "", false},
		{"a\u2028b", "", false},
		{"a\u2029", "", false},
		{"\xff", "", false},
		{strings.Repeat("x", 1000), strings.Repeat("x", 1000), true},
		{strings.Repeat("x", 1001), "", false},
	} {
		got, err := CanonicalName(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("CanonicalName(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, base.ErrInvalidName) {
			t.Errorf("CanonicalName(%q) error %v is not ErrInvalidName", tc.in, err)
		}
	}
}

func TestValidateUser(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"bob", true},
		{"bob@example.org", true},
		{"", false},
		{"bo b", false},
		{"bob\x00", false},
		{"bob\n", false},
		{"\xff", false},
		{strings.Repeat("u", 255), true},
		{strings.Repeat("u", 256), false},
	} {
		err := ValidateUser(tc.in)
		if tc.ok != (err == nil) {
			t.Errorf("ValidateUser(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
		if err != nil && !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("ValidateUser(%q) error %v is not ErrInvalidArgument", tc.in, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	r := func(a, b uint32) *metadatapb.UidRange { return &metadatapb.UidRange{Start: a, Stop: b} }
	max := ^uint32(0)
	for _, tc := range []struct {
		in   []*metadatapb.UidRange
		want []uidRange
	}{
		{nil, []uidRange{}},
		{[]*metadatapb.UidRange{r(5, 5), r(1, 3), r(4, 4)}, []uidRange{{1, 5}}},
		{[]*metadatapb.UidRange{r(9, 7), r(1, 1)}, []uidRange{{1, 1}, {7, 9}}},
		{[]*metadatapb.UidRange{r(3, 0), r(10, 20)}, []uidRange{{3, max}}},
		{[]*metadatapb.UidRange{r(0, 2)}, []uidRange{{1, 2}}},
		{[]*metadatapb.UidRange{r(max, max), r(1, max)}, []uidRange{{1, max}}},
	} {
		got := normalize(&metadatapb.UidSet{Ranges: tc.in})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("normalize(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if normalize(nil) != nil {
		t.Error("normalize(nil) is not nil")
	}
}

func TestParseFlags(t *testing.T) {
	fs, err := parseFlags([]string{`\seen`, `\RECENT`, "$Foo", "$foo", `\Draft`})
	if err != nil {
		t.Fatal(err)
	}
	if fs.system != schema.FlagSeen|schema.FlagDraft || !reflect.DeepEqual(fs.keywords, []string{"$Foo"}) {
		t.Fatalf("got %+v", fs)
	}
	for _, bad := range []string{`\Bogus`, "", "a b", "a(b", "a]", "x\x01", "é"} {
		if _, err := parseFlags([]string{bad}); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("parseFlags(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestNextUIDValidity(t *testing.T) {
	u := schema.UserRecord{}
	got := []uint32{nextUIDValidity(&u, 100), nextUIDValidity(&u, 100), nextUIDValidity(&u, 50), nextUIDValidity(&u, 200)}
	if !reflect.DeepEqual(got, []uint32{100, 101, 102, 200}) {
		t.Fatalf("got %v: must strictly increase whatever the clock does", got)
	}
	u = schema.UserRecord{}
	if v := nextUIDValidity(&u, 0); v != 1 {
		t.Fatalf("uidvalidity with a zero clock = %d, want 1", v)
	}
}

// FuzzCanonicalName checks that canonical names are fixed points and never
// carry what the validator rejects.
func FuzzCanonicalName(f *testing.F) {
	for _, s := range []string{"INBOX", "inbox/a", "a/b", "", "/", "a//b", "x*", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, err := CanonicalName(name)
		if err != nil {
			return
		}
		again, err := CanonicalName(got)
		if err != nil || again != got {
			t.Fatalf("CanonicalName(%q) = %q, not a fixed point (%q, %v)", name, got, again, err)
		}
		if strings.ContainsAny(got, "*%\x00") || strings.HasPrefix(got, "/") || strings.HasSuffix(got, "/") || strings.Contains(got, "//") {
			t.Fatalf("CanonicalName(%q) = %q accepted a forbidden form", name, got)
		}
	})
}
