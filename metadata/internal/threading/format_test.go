package threading

import (
	"strconv"
	"strings"
)

// The tests render trees in the RFC 5256 §4 thread-list form, which is
// what a client sees (the frontend renders the flat RPC form the same way).

// Format renders top-level threads as the RFC 5256 §4 THREAD response data
// (without "* THREAD"), mapping each UID through num (to a sequence number
// or itself). thread-list = "(" (thread-members / thread-nested) ")".
func Format(roots []*Node, num func(uint32) uint32) string {
	var b strings.Builder
	for _, r := range roots {
		b.WriteByte('(')
		writeMembers(&b, r, num)
		b.WriteByte(')')
	}
	return b.String()
}

// writeMembers writes n and its descendants inside an open thread-list: a
// chain of only children continues "a b c"; two or more children nest
// as a thread-nested "(...)(...)".
func writeMembers(b *strings.Builder, n *Node, num func(uint32) uint32) {
	first := true
	for {
		if n.UID != 0 {
			if !first {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatUint(uint64(num(n.UID)), 10))
			first = false
		}
		switch len(n.Children) {
		case 0:
			return
		case 1:
			if n.UID == 0 {
				// A dummy with one child is pruned away; should one be
				// left, its child stands for it.
				n = n.Children[0]
				continue
			}
			n = n.Children[0]
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		for _, c := range n.Children {
			b.WriteByte('(')
			writeMembers(b, c, num)
			b.WriteByte(')')
		}
		return
	}
}
