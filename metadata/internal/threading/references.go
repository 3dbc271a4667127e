package threading

import (
	"slices"
	"strings"
)

// container is a node of the REFERENCES algorithm: a message, or a dummy
// (msg nil) for a Message ID that is referenced but not among the
// searched messages.
type container struct {
	msg      *Msg
	parent   *container
	children []*container
	base     string // collated base subject (messages only)
	reply    bool   // the subject made it a reply or forward
}

// References threads msgs by the RFC 5256 §3 REFERENCES algorithm, steps
// (1)–(6). msgs must be in mailbox order (ascending UID): duplicate
// Message IDs belong to the first message that has them.
func References(msgs []Msg) []*Node {
	byID := map[string]*container{}
	var all []*container // creation order, for a deterministic root set
	get := func(id string) *container {
		c := byID[id]
		if c == nil {
			c = &container{}
			byID[id] = c
			all = append(all, c)
		}
		return c
	}
	for i := range msgs {
		m := &msgs[i]
		// Step 1.A: a missing, invalid or duplicate Message ID gets a
		// unique one, i.e. a container no reference can reach.
		var cur *container
		if id := normalizeID(m.MessageID); id != "" && (byID[id] == nil || byID[id].msg == nil) {
			cur = get(id)
		} else {
			cur = &container{}
			all = append(all, cur)
		}
		cur.msg = m
		b, r := BaseSubject(m.Subject)
		cur.base, cur.reply = collate(b), r

		refs := make([]string, 0, len(m.References))
		for _, r := range m.References {
			if id := normalizeID(r); id != "" {
				refs = append(refs, id)
			}
		}
		if len(refs) == 0 {
			if id := normalizeID(m.InReplyTo); id != "" {
				refs = append(refs, id)
			}
		}
		for k := 0; k+1 < len(refs); k++ {
			p, c := get(refs[k]), get(refs[k+1])
			if c.parent == nil && !reaches(p, c) {
				link(p, c)
			}
		}
		// Step 1.B: the last reference is the parent, replacing any link
		// an earlier (truncated) References made.
		if cur.parent != nil {
			unlink(cur)
		}
		if len(refs) > 0 {
			if p := get(refs[len(refs)-1]); !reaches(p, cur) {
				link(p, cur)
			}
		}
	}

	// Step 2: the root set.
	var root []*container
	for _, c := range all {
		if c.parent == nil {
			root = append(root, c)
		}
	}
	// Step 3: prune dummies.
	root = prune(root, true)
	// Step 4: sort the top level (a dummy by its sorted children's first).
	for _, c := range root {
		if c.msg == nil {
			sortSiblings(c.children)
		}
	}
	sortSiblings(root)
	// Step 5: merge threads with the same base subject.
	root = mergeSubjects(root)
	// Step 6: sort every set of siblings, deepest first.
	var deep func([]*container)
	deep = func(cs []*container) {
		for _, c := range cs {
			deep(c.children)
		}
		sortSiblings(cs)
	}
	deep(root)

	out := make([]*Node, len(root))
	for i, c := range root {
		out[i] = toNode(c)
	}
	return out
}

// normalizeID removes the quoting of a msg-id so that equal ids written
// differently compare equal (RFC 5256 §3: <"a"@b> is <a@b>); comparisons
// stay case-sensitive.
func normalizeID(id string) string {
	id = strings.TrimSpace(id)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if !strings.ContainsAny(id, "\"\\") {
		return id
	}
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		switch id[i] {
		case '"':
		case '\\':
			if i+1 < len(id) {
				i++
				b.WriteByte(id[i])
			}
		default:
			b.WriteByte(id[i])
		}
	}
	return b.String()
}

// reaches reports whether making p the parent of c would create a loop:
// p is c or a descendant of c.
func reaches(p, c *container) bool {
	if len(c.children) == 0 {
		// The common case (a new message, a new dummy): c has no
		// descendants, so walking p's ancestry, O(depth), is not needed.
		return p == c
	}
	for a := p; a != nil; a = a.parent {
		if a == c {
			return true
		}
	}
	return false
}

func link(p, c *container) {
	c.parent = p
	p.children = append(p.children, c)
}

func unlink(c *container) {
	p := c.parent
	p.children = slices.DeleteFunc(p.children, func(x *container) bool { return x == c })
	c.parent = nil
}

// prune applies step 3 to one set of siblings, bottom up: a childless
// dummy goes; a dummy with children is replaced by them, except at the top
// level where it stays if it has two or more.
func prune(cs []*container, top bool) []*container {
	var out []*container
	for _, c := range cs {
		c.children = prune(c.children, false)
		switch {
		case c.msg != nil:
			out = append(out, c)
		case len(c.children) == 0:
		case top && len(c.children) > 1:
			out = append(out, c)
		default:
			for _, k := range c.children {
				k.parent = c.parent
			}
			out = append(out, c.children...)
		}
	}
	return out
}

// sortKey is the message a container sorts by: itself, or a dummy's first
// child (children sorted beforehand).
func sortKey(c *container) *Msg {
	for c.msg == nil && len(c.children) > 0 {
		c = c.children[0]
	}
	return c.msg
}

func sortSiblings(cs []*container) {
	slices.SortStableFunc(cs, func(a, b *container) int {
		ma, mb := sortKey(a), sortKey(b)
		if ma == nil || mb == nil { // a childless dummy: none survive pruning
			return 0
		}
		return dateOrder(ma, mb)
	})
}

// threadSubject is the step 5.B.i subject of a top-level container.
func threadSubject(c *container) string {
	if c.msg == nil {
		if len(c.children) == 0 {
			return ""
		}
		return c.children[0].base
	}
	return c.base
}

// mergeSubjects is step 5: top-level threads with the same base subject
// are gathered under one message or dummy.
func mergeSubjects(root []*container) []*container {
	table := map[string]*container{}
	for _, c := range root { // 5.B
		s := threadSubject(c)
		if s == "" {
			continue
		}
		t := table[s]
		if t == nil || (t.msg != nil && (c.msg == nil || (t.reply && !c.reply))) {
			table[s] = c
		}
	}
	removed := map[*container]bool{}
	replace := map[*container]*container{}
	for _, c := range slices.Clone(root) { // 5.C
		if removed[c] {
			continue
		}
		s := threadSubject(c)
		if s == "" {
			continue
		}
		t := table[s]
		if t == c {
			continue
		}
		switch {
		case t.msg == nil && c.msg == nil:
			for _, k := range c.children {
				k.parent = t
			}
			t.children = append(t.children, c.children...)
			c.children = nil
			removed[c] = true
		case t.msg == nil, c.reply && !t.reply:
			link(t, c)
			removed[c] = true
		default:
			d := &container{}
			// The dummy takes t's place at the top (or under the dummy
			// that holds t, which cannot happen: t is top-level here).
			replace[t] = d
			link(d, t)
			link(d, c)
			table[s] = d
			removed[c] = true
		}
	}
	out := root[:0]
	for _, c := range root {
		if removed[c] {
			continue
		}
		if d, ok := replace[c]; ok {
			c = d
			// d may itself have been replaced: t was never re-merged as a
			// table entry once d took its place, so one level suffices.
		}
		out = append(out, c)
	}
	return out
}

func toNode(c *container) *Node {
	n := &Node{}
	if c.msg != nil {
		n.UID = c.msg.UID
	}
	for _, k := range c.children {
		n.Children = append(n.Children, toNode(k))
	}
	return n
}
