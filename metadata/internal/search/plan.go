package search

// IndexQuery is what a trigram index can answer of a compiled key: a tree
// of trigram conjunctions under AND and OR whose result, per index
// segment, is a superset of the segment's messages that match the key.
// The caller evaluates the full key on those candidates only (Match), so
// the index narrows the work and never changes the answer.
//
// It is derived at Compile, and immutable:
//   - BODY x with x of three folded bytes or more: every body trigram of
//     x. TEXT x: the body trigrams of x or the header trigrams of x (the
//     header and the body are searched separately, so a match lies wholly
//     in one of them).
//   - AND: the conjunction of the children that can be answered; the
//     others (flags, dates, short needles) are left to Match.
//   - OR: the union, only if every child can be answered.
//   - NOT, and everything else: cannot be answered (a message without the
//     trigrams can still match NOT BODY x, so nothing can be pruned).
type IndexQuery struct {
	op   queryOp
	tris []uint32 // opTrigrams: ascending, all required
	kids []*IndexQuery
}

type queryOp uint8

const (
	opTrigrams queryOp = iota
	opAnd
	opOr
)

// IndexQuery returns the index query of the key, or nil when an index
// cannot narrow it (every message must be evaluated).
func (m *Matcher) IndexQuery() *IndexQuery { return m.iq }

// indexQuery derives the index query of a compiled node; nil means "any
// message may match".
func indexQuery(n node) *IndexQuery {
	switch n := n.(type) {
	case *bodyNode:
		body := needleTrigrams(n.needle, KindBody)
		if body == nil {
			return nil // shorter than a trigram (or empty: matches all)
		}
		q := &IndexQuery{op: opTrigrams, tris: body}
		if !n.withHeader {
			return q
		}
		return &IndexQuery{op: opOr, kids: []*IndexQuery{q, {op: opTrigrams, tris: needleTrigrams(n.needle, KindHeader)}}}
	case *andNode:
		var kids []*IndexQuery
		for _, k := range n.kids {
			if q := indexQuery(k); q != nil {
				kids = append(kids, q)
			}
		}
		switch len(kids) {
		case 0:
			return nil
		case 1:
			return kids[0]
		}
		return &IndexQuery{op: opAnd, kids: kids}
	case *orNode:
		kids := make([]*IndexQuery, 0, len(n.kids))
		for _, k := range n.kids {
			q := indexQuery(k)
			if q == nil {
				return nil
			}
			kids = append(kids, q)
		}
		return &IndexQuery{op: opOr, kids: kids}
	default:
		return nil
	}
}

// PostingSource returns the UIDs, ascending, of one index segment's
// messages that have trigram t (none: an empty list). The returned slice
// is not modified by Candidates.
type PostingSource func(t uint32) ([]uint32, error)

// Candidates evaluates q over one segment: the UIDs, ascending, of the
// segment's messages that may match. Errors are get's.
func (q *IndexQuery) Candidates(get PostingSource) ([]uint32, error) {
	switch q.op {
	case opTrigrams:
		var out []uint32
		for i, t := range q.tris {
			p, err := get(t)
			if err != nil {
				return nil, err
			}
			if i == 0 {
				out = p
			} else {
				out = intersect(out, p)
			}
			if len(out) == 0 {
				return nil, nil // the rest cannot add anything back
			}
		}
		return out, nil
	case opAnd:
		var out []uint32
		for i, k := range q.kids {
			c, err := k.Candidates(get)
			if err != nil {
				return nil, err
			}
			if i == 0 {
				out = c
			} else {
				out = intersect(out, c)
			}
			if len(out) == 0 {
				return nil, nil
			}
		}
		return out, nil
	default: // opOr
		var out []uint32
		for _, k := range q.kids {
			c, err := k.Candidates(get)
			if err != nil {
				return nil, err
			}
			out = union(out, c)
		}
		return out, nil
	}
}

// intersect returns the UIDs in both ascending lists, as a new slice.
func intersect(a, b []uint32) []uint32 {
	out := make([]uint32, 0, min(len(a), len(b)))
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// union returns the UIDs in either ascending list, as a new slice.
func union(a, b []uint32) []uint32 {
	out := make([]uint32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
