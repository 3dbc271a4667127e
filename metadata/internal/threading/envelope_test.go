package threading

import (
	"slices"
	"testing"
)

func TestParseEnvelope(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		first   [3]address
		present [3]bool
		ok      bool
	}{
		{"plain", `(NIL "s" (("Zed" NIL "zed" "a.org")) NIL NIL ((NIL NIL "bob" "x.org")("Al" NIL "al" "x.org")) NIL NIL NIL NIL)`,
			[3]address{{name: "Zed", mailbox: "zed", host: "a.org"}, {mailbox: "bob", host: "x.org"}}, [3]bool{true, true, false}, true},
		{"group start is the first address", `(NIL "x" ((NIL NIL "Undisclosed" NIL)(NIL NIL NIL NIL)) NIL NIL NIL ((NIL NIL "c" "d")) NIL NIL NIL)`,
			[3]address{{mailbox: "Undisclosed"}, {}, {mailbox: "c", host: "d"}}, [3]bool{true, false, true}, true},
		{"encoded word and literal", "(NIL NIL ((\"=?UTF-8?Q?=C3=89mile?=\" NIL \"e\" \"d.org\")) NIL NIL (({5}\r\nA \"b\" NIL \"q\\\"x\" \"h\")) NIL NIL NIL NIL)",
			[3]address{{name: "Émile", mailbox: "e", host: "d.org"}, {name: `A "b"`, mailbox: `q"x`, host: "h"}}, [3]bool{true, true, false}, true},
		{"unknown charset stays encoded", `(NIL NIL (("=?x-nonsense?Q?a?=" NIL "e" "d")) NIL NIL NIL NIL NIL NIL NIL)`,
			[3]address{{name: "=?x-nonsense?Q?a?=", mailbox: "e", host: "d"}}, [3]bool{true}, true},
		{"empty", "", [3]address{}, [3]bool{}, false},
		{"too short", `(NIL NIL NIL)`, [3]address{}, [3]bool{}, false},
		{"unterminated", `(NIL "x`, [3]address{}, [3]bool{}, false},
		{"literal too long", "(NIL {99}\r\nab)", [3]address{}, [3]bool{}, false},
		{"bad address", `(NIL NIL (("a" "b")) NIL NIL NIL NIL NIL NIL NIL)`, [3]address{}, [3]bool{}, false},
		{"garbage", `(NIL NIL x NIL NIL NIL NIL NIL NIL NIL)`, [3]address{}, [3]bool{}, false},
	}
	for _, tt := range tests {
		first, present, ok := parseEnvelope([]byte(tt.env))
		if ok != tt.ok || (ok && (first != tt.first || present != tt.present)) {
			t.Errorf("%s: got %+v %v %v, want %+v %v %v", tt.name, first, present, ok, tt.first, tt.present, tt.ok)
		}
	}
}

// The envelope wins over the decoded lists; an unreadable one falls back.
func TestSortUsesEnvelope(t *testing.T) {
	group := []byte(`(NIL NIL ((NIL NIL "Undisclosed" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL NIL NIL NIL)`)
	msgs := []Msg{
		{UID: 1, From: "zed@a.org"},
		{UID: 2, From: "", Envelope: group},                // "Undisclosed"
		{UID: 3, From: "amy@b.org", Envelope: []byte("(")}, // unreadable: "amy"
	}
	got, err := Sort(msgs, []Key{{By: From}})
	if err != nil || !slices.Equal(got, []uint32{3, 2, 1}) {
		t.Errorf("FROM: %v %v", got, err)
	}
}

// RFC 5051 i;unicode-casemap: titlecase then NFKD.
func TestCollate(t *testing.T) {
	// É decomposes to E and a combining accent, which sorts after letters.
	ordered := []string{"", "Al", "amy", "emilia", "Émile", "zed", "[x]"}
	for i := 1; i < len(ordered); i++ {
		if a, b := collate(ordered[i-1]), collate(ordered[i]); a >= b {
			t.Errorf("collate(%q) = %q not before collate(%q) = %q", ordered[i-1], a, ordered[i], b)
		}
	}
	for _, p := range [][2]string{{"abc", "ABC"}, {"ǆ", "Ǆ"}, {"émile", "E\u0301MILE"}} {
		if collate(p[0]) != collate(p[1]) {
			t.Errorf("collate(%q) = %q, collate(%q) = %q", p[0], collate(p[0]), p[1], collate(p[1]))
		}
	}
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(`(NIL "s" (("Zed" NIL "zed" "a.org")) NIL NIL NIL NIL NIL NIL NIL)`))
	f.Add([]byte("(NIL {3}\r\nabc NIL)"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseEnvelope(b) // must not panic or hang
	})
}
