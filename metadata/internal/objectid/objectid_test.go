package objectid

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

var testKey = UserKey("alice", "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", "created at 1000")

// TestGolden pins the derivations: an accidental change would give every
// stored mailbox a new MAILBOXID (RFC 8474 §4 forbids that) and make new
// EMAILIDs differ from stored ones of the same content.
func TestGolden(t *testing.T) {
	email, err := Email(testKey, strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{Mailbox(testKey, 1), Mailbox(testKey, 2), email, ThreadOf(email)}
	want := []string{"F", "F", "M", "T"}
	for i := range got {
		if len(got[i]) != 25 || got[i][:1] != want[i] || !Valid(got[i]) {
			t.Errorf("id %d = %q", i, got[i])
		}
	}
	golden := []string{goldenMailbox1, goldenMailbox2, goldenEmail, "T" + goldenEmail[1:]}
	if !reflect.DeepEqual(got, golden) {
		t.Errorf("derivation changed:\n got  %q\n want %q", got, golden)
	}
}

// The golden ids, checked against an independent computation (Python's
// hmac and base64.urlsafe_b64encode over the documented inputs).
const (
	goldenMailbox1 = "FpBPlIg-SVd4Ljnls1peBJWVH"
	goldenMailbox2 = "FquFKi_gBDFI8Fqdg0ikTrbJ_"
	goldenEmail    = "M20O4JX4lJocgdjsqalgqnzJq"
)

func TestKeysSeparateUsers(t *testing.T) {
	other := UserKey("bob", "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", "created at 1000")
	again := UserKey("alice", "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", "created at 1001")
	blob := strings.Repeat("0f", 32)
	a, _ := Email(testKey, blob)
	b, _ := Email(other, blob)
	c, _ := Email(again, blob)
	if a == b || a == c || Mailbox(testKey, 1) == Mailbox(other, 1) || Mailbox(testKey, 1) == Mailbox(again, 1) {
		t.Errorf("keys do not separate users: %s %s %s", a, b, c)
	}
	// UserKey's fields are length-prefixed: moving a byte between them
	// changes the key.
	if reflect.DeepEqual(UserKey("ab", "c", ""), UserKey("a", "bc", "")) {
		t.Error("UserKey fields are ambiguous")
	}
}

func TestEmailBadBlob(t *testing.T) {
	for _, b := range []string{"", "zz", strings.Repeat("a", 63), strings.Repeat("a", 66), strings.Repeat("g", 64)} {
		if _, err := Email(testKey, b); !errors.Is(err, ErrBadBlobID) {
			t.Errorf("Email(%q) = %v", b, err)
		}
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"M1": true, "a": true, "-_": true, strings.Repeat("x", 255): true,
		"": false, strings.Repeat("x", 256): false, "M 1": false, "M.1": false, "Mé": false, "M\x00": false, "(M)": false,
	} {
		if Valid(s) != want {
			t.Errorf("Valid(%q) = %v", s, !want)
		}
	}
}

func TestRefs(t *testing.T) {
	many := make([]string, 30)
	for i := range many {
		many[i] = fmt.Sprintf("r%d@x", i)
	}
	tests := []struct {
		name       string
		msgID, irt string
		refs, want []string
	}{
		{"none", "", "", nil, []string{}},
		{"own only", "<a@x>", "", nil, []string{"a@x"}},
		{"parent first", "c@x", "b@x", []string{"a@x", "b@x"}, []string{"c@x", "b@x", "a@x"}},
		{"blanks and dups", " ", "<>", []string{"a@x", "", "a@x"}, []string{"a@x"}},
		{"bounded, nearest kept", "m@x", "", many, append([]string{"m@x"}, reverse(many[10:])...)},
	}
	for _, tc := range tests {
		got := Refs(tc.msgID, tc.irt, tc.refs)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestThread(t *testing.T) {
	table := map[string]string{"p@x": "Tparent", "own@x": "Town"}
	lookup := func(id string) (string, bool, error) { v, ok := table[id]; return v, ok, nil }
	tests := []struct {
		name string
		ids  []string
		want string
	}{
		{"new thread", []string{"n@x", "unknown@x"}, "Tself"},
		{"joins parent", []string{"n@x", "p@x"}, "Tparent"},
		{"own id wins", []string{"own@x", "p@x"}, "Town"},
		{"no ids", nil, "Tself"},
	}
	for _, tc := range tests {
		got, err := Thread(tc.ids, "Mself", lookup)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.name, got, err, tc.want)
		}
	}
	boom := errors.New("boom")
	if _, err := Thread([]string{"x"}, "Mself", func(string) (string, bool, error) { return "", false, boom }); !errors.Is(err, boom) {
		t.Errorf("lookup error: %v", err)
	}
}
