package threading

import (
	"strconv"
	"testing"
)

func id(uid uint32) uint32 { return uid }

func TestFormat(t *testing.T) {
	tests := []struct {
		roots []*Node
		want  string
	}{
		{nil, ""},
		{[]*Node{{UID: 1}, {UID: 2}}, "(1)(2)"},
		{[]*Node{{UID: 1, Children: []*Node{{UID: 2, Children: []*Node{{UID: 3}}}}}}, "(1 2 3)"},
		{[]*Node{{UID: 1, Children: []*Node{{UID: 2, Children: []*Node{{UID: 3}}}, {UID: 4}}}}, "(1 (2 3)(4))"},
		{[]*Node{{Children: []*Node{{UID: 5}, {UID: 6, Children: []*Node{{UID: 7}, {UID: 8}}}}}}, "((5)(6 (7)(8)))"},
	}
	for _, tt := range tests {
		if got := Format(tt.roots, id); got != tt.want {
			t.Errorf("Format = %q, want %q", got, tt.want)
		}
	}
	// num maps UIDs (to sequence numbers).
	if got := Format([]*Node{{UID: 10, Children: []*Node{{UID: 20}}}}, func(u uint32) uint32 { return u / 10 }); got != "(1 2)" {
		t.Errorf("mapped Format = %q", got)
	}
}

func TestOrderedSubject(t *testing.T) {
	tests := []struct {
		name string
		msgs []Msg
		want string
	}{
		{"empty", nil, ""},
		{"groups ordered by first date, children by date", []Msg{
			{UID: 1, Subject: "A", SentDate: 10},
			{UID: 2, Subject: "Re: A", SentDate: 20},
			{UID: 3, Subject: "B", SentDate: 5},
			{UID: 4, Subject: "re: a", SentDate: 15},
		}, "(3)(1 (4)(2))"},
		{"one child is a chain", []Msg{
			{UID: 1, Subject: "x", SentDate: 2},
			{UID: 2, Subject: "Fwd: x", SentDate: 1},
		}, "(2 1)"},
		{"equal dates by mailbox order, internal date fallback", []Msg{
			{UID: 1, Subject: "s", InternalDate: 7},
			{UID: 2, Subject: "s", SentDate: 7},
			{UID: 3, Subject: "t", SentDate: 7},
		}, "(1 2)(3)"},
	}
	for _, tt := range tests {
		if got := Format(OrderedSubject(tt.msgs), id); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestReferences(t *testing.T) {
	tests := []struct {
		name string
		msgs []Msg
		want string
	}{
		{"empty", nil, ""},
		{"chain", []Msg{
			{UID: 1, MessageID: "a", SentDate: 1},
			{UID: 2, MessageID: "b", References: []string{"a"}, SentDate: 2},
			{UID: 3, MessageID: "c", References: []string{"a", "b"}, SentDate: 3},
		}, "(1 2 3)"},
		{"siblings sorted by date", []Msg{
			{UID: 1, MessageID: "a", SentDate: 1},
			{UID: 2, MessageID: "b", References: []string{"a"}, SentDate: 9},
			{UID: 3, MessageID: "c", References: []string{"a"}, SentDate: 5},
		}, "(1 (3)(2))"},
		{"reply arrives before its parent", []Msg{
			{UID: 1, MessageID: "b", References: []string{"a"}, SentDate: 2},
			{UID: 2, MessageID: "a", SentDate: 1},
		}, "(2 1)"},
		{"in-reply-to when no references", []Msg{
			{UID: 1, MessageID: "<a@x>", SentDate: 1},
			{UID: 2, MessageID: "b@x", InReplyTo: "<a@x>", SentDate: 2},
		}, "(1 2)"},
		{"references win over in-reply-to", []Msg{
			{UID: 1, MessageID: "a", SentDate: 1},
			{UID: 2, MessageID: "b", SentDate: 2},
			{UID: 3, MessageID: "c", InReplyTo: "a", References: []string{"b"}, SentDate: 3},
		}, "(1)(2 3)"},
		{"missing parent with two replies keeps a dummy", []Msg{
			{UID: 1, MessageID: "b", References: []string{"gone"}, SentDate: 2},
			{UID: 2, MessageID: "c", References: []string{"gone"}, SentDate: 1},
		}, "((2)(1))"},
		{"missing parent with one reply is promoted", []Msg{
			{UID: 1, MessageID: "b", References: []string{"gone"}, SentDate: 2},
		}, "(1)"},
		{"missing middle is spliced out", []Msg{
			{UID: 1, MessageID: "a", SentDate: 1},
			{UID: 2, MessageID: "c", References: []string{"a", "gone"}, SentDate: 3},
			{UID: 3, MessageID: "d", References: []string{"a", "gone"}, SentDate: 2},
		}, "(1 (3)(2))"},
		{"loop in references", []Msg{
			{UID: 1, MessageID: "a", References: []string{"b"}, SentDate: 1},
			{UID: 2, MessageID: "b", References: []string{"a"}, SentDate: 2},
		}, "(2 1)"},
		{"self reference", []Msg{
			{UID: 1, MessageID: "a", References: []string{"a"}, SentDate: 1},
		}, "(1)"},
		{"loop inside one references list", []Msg{
			{UID: 1, MessageID: "c", References: []string{"a", "b", "a"}, SentDate: 1},
		}, "(1)"},
		{"duplicate message ids: the first keeps it", []Msg{
			{UID: 1, MessageID: "a", SentDate: 1},
			{UID: 2, MessageID: "a", SentDate: 2},
			{UID: 3, MessageID: "r", References: []string{"a"}, SentDate: 3},
		}, "(1 3)(2)"},
		{"quoted message id normalised", []Msg{
			{UID: 1, MessageID: `"01KF"@x.y`, SentDate: 1},
			{UID: 2, MessageID: "z", References: []string{"01KF@x.y"}, SentDate: 2},
		}, "(1 2)"},
		{"message ids are case-sensitive", []Msg{
			{UID: 1, MessageID: "A@x", SentDate: 1},
			{UID: 2, MessageID: "z", References: []string{"a@x"}, Subject: "q", SentDate: 2},
		}, "(1)(2)"},
		{"truncated references: last reference is the parent", []Msg{
			{UID: 1, MessageID: "a", SentDate: 1},
			{UID: 2, MessageID: "b", References: []string{"a"}, SentDate: 2},
			{UID: 3, MessageID: "c", References: []string{"a", "b"}, SentDate: 3},
			{UID: 4, MessageID: "x", References: []string{"c", "b"}, SentDate: 4}, // b keeps parent a
		}, "(1 2 (3)(4))"},
		{"subject merge: reply under original", []Msg{
			{UID: 1, MessageID: "a", Subject: "Hello", SentDate: 1},
			{UID: 2, MessageID: "b", Subject: "Re: hello", SentDate: 2},
		}, "(1 2)"},
		{"subject merge: two originals under a dummy", []Msg{
			{UID: 1, MessageID: "a", Subject: "Hello", SentDate: 2},
			{UID: 2, MessageID: "b", Subject: "hello", SentDate: 1},
		}, "((2)(1))"},
		{"subject merge: replies only, original missing", []Msg{
			{UID: 1, MessageID: "a", Subject: "Re: Hi", SentDate: 1},
			{UID: 2, MessageID: "b", Subject: "Re: Hi", SentDate: 2},
		}, "((1)(2))"},
		{"subject merge into a dummy thread", []Msg{
			{UID: 1, MessageID: "b", Subject: "Re: topic", References: []string{"gone"}, SentDate: 1},
			{UID: 2, MessageID: "c", Subject: "Re: topic", References: []string{"gone"}, SentDate: 3},
			{UID: 3, MessageID: "d", Subject: "topic", SentDate: 2},
		}, "((1)(3)(2))"},
		{"empty subjects never merge", []Msg{
			{UID: 1, MessageID: "a", SentDate: 1},
			{UID: 2, MessageID: "b", Subject: "Re:", SentDate: 2},
		}, "(1)(2)"},
		{"no message ids at all", []Msg{
			{UID: 1, Subject: "x", SentDate: 2},
			{UID: 2, Subject: "y", SentDate: 1},
		}, "(2)(1)"},
	}
	for _, tt := range tests {
		if got := Format(References(tt.msgs), id); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Every message appears exactly once whatever the references say.
func FuzzReferences(f *testing.F) {
	f.Add("a", "b", "c", "a b", "b a", "x")
	f.Fuzz(func(t *testing.T, id1, id2, id3, refs1, refs2, refs3 string) {
		split := func(s string) []string {
			var out []string
			for i, j := 0, 0; j <= len(s); j++ {
				if j == len(s) || s[j] == ' ' {
					out = append(out, s[i:j])
					i = j + 1
				}
			}
			return out
		}
		msgs := []Msg{
			{UID: 1, MessageID: id1, References: split(refs1), Subject: id3},
			{UID: 2, MessageID: id2, References: split(refs2), Subject: refs1, SentDate: 5},
			{UID: 3, MessageID: id3, References: split(refs3), Subject: "Re: " + id3},
		}
		seen := map[uint32]int{}
		var walk func(n *Node)
		walk = func(n *Node) {
			if n.UID != 0 {
				seen[n.UID]++
			} else if len(n.Children) < 2 {
				t.Fatalf("dummy with %d children", len(n.Children))
			}
			for _, c := range n.Children {
				walk(c)
			}
		}
		for _, r := range References(msgs) {
			walk(r)
		}
		for u := uint32(1); u <= 3; u++ {
			if seen[u] != 1 {
				t.Fatalf("uid %d seen %d times", u, seen[u])
			}
		}
	})
}

// A reply chain as long as a big mailbox: one thread, every message once,
// each the only child of the one before (the algorithm's recursion and
// loop checks must cope with the depth).
func TestReferencesDeepChain(t *testing.T) {
	const n = 20000
	msgs := make([]Msg, n)
	for i := range msgs {
		msgs[i] = Msg{UID: uint32(i + 1), MessageID: strconv.Itoa(i), Subject: "Re: deep", SentDate: int64(i)}
		if i > 0 {
			msgs[i].References = []string{strconv.Itoa(max(0, i-2)), strconv.Itoa(i - 1)}
		}
	}
	roots := References(msgs)
	if len(roots) != 1 {
		t.Fatalf("%d threads", len(roots))
	}
	nd := roots[0]
	for want := uint32(1); ; want++ {
		if nd.UID != want {
			t.Fatalf("depth %d holds uid %d", want, nd.UID)
		}
		if len(nd.Children) == 0 {
			if want != n {
				t.Fatalf("chain ends at %d", want)
			}
			return
		}
		if len(nd.Children) != 1 {
			t.Fatalf("uid %d has %d children", want, len(nd.Children))
		}
		nd = nd.Children[0]
	}
}
