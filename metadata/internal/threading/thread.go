package threading

import (
	"cmp"
	"slices"
)

// Node is one message of a thread tree. UID 0 is a dummy (a message that
// is referenced but absent), which survives only as a top-level parent of
// two or more threads (RFC 5256 §3 REFERENCES step 3).
type Node struct {
	UID      uint32
	Children []*Node
}

// dateOrder orders messages by sent date, then mailbox order (RFC 5256
// §2.2).
func dateOrder(a, b *Msg) int {
	if c := cmp.Compare(a.sentDate(), b.sentDate()); c != 0 {
		return c
	}
	return cmp.Compare(a.UID, b.UID)
}

// OrderedSubject threads msgs by the RFC 5256 §3 ORDEREDSUBJECT algorithm:
// messages grouped by base subject, each group's earliest message the
// parent of the others in sent-date order, groups ordered by the sent date
// of their first message.
func OrderedSubject(msgs []Msg) []*Node {
	type entry struct {
		m    *Msg
		base string
	}
	es := make([]entry, len(msgs))
	for i := range msgs {
		b, _ := BaseSubject(msgs[i].Subject)
		es[i] = entry{&msgs[i], collate(b)}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.base, b.base); c != 0 {
			return c
		}
		return dateOrder(a.m, b.m)
	})
	type thread struct {
		first *Msg
		node  *Node
	}
	var threads []thread
	for i := 0; i < len(es); {
		j := i + 1
		for j < len(es) && es[j].base == es[i].base {
			j++
		}
		root := &Node{UID: es[i].m.UID}
		for _, e := range es[i+1 : j] {
			root.Children = append(root.Children, &Node{UID: e.m.UID})
		}
		threads = append(threads, thread{es[i].m, root})
		i = j
	}
	slices.SortFunc(threads, func(a, b thread) int { return dateOrder(a.first, b.first) })
	out := make([]*Node, len(threads))
	for i, t := range threads {
		out[i] = t.node
	}
	return out
}
