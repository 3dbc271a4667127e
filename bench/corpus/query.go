package corpus

import (
	"strings"
	"time"
)

// QueryKind groups queries by the workload that sends them.
type QueryKind int

// The workloads' query families.
const (
	HeaderQuery QueryKind = iota // FROM / TO / SUBJECT substrings
	BodyQuery                    // BODY / TEXT substrings
	FlagQuery                    // UNSEEN / FLAGGED, with SINCE / BEFORE
)

// Query is one SEARCH, described independently of any IMAP library. All set
// criteria are ANDed, as in IMAP.
type Query struct {
	Name string
	Kind QueryKind
	// Field is "FROM", "TO", "SUBJECT", "BODY" or "TEXT" (with Value), or "".
	Field, Value string
	// Seen / Flagged: nil ignores the flag, else the message must have (true)
	// or lack (false) it.
	Seen, Flagged *bool
	// Since / Before are calendar days (UTC midnight), zero when unused
	// (RFC 9051 §6.4.4: SINCE is on or after, BEFORE strictly before).
	Since, Before time.Time
}

// String renders the query in IMAP syntax for reports.
func (q Query) String() string {
	var parts []string
	if q.Field != "" {
		parts = append(parts, q.Field+" "+q.Value)
	}
	if q.Seen != nil {
		parts = append(parts, map[bool]string{true: "SEEN", false: "UNSEEN"}[*q.Seen])
	}
	if q.Flagged != nil {
		parts = append(parts, map[bool]string{true: "FLAGGED", false: "UNFLAGGED"}[*q.Flagged])
	}
	if !q.Since.IsZero() {
		parts = append(parts, "SINCE "+q.Since.Format("2-Jan-2006"))
	}
	if !q.Before.IsZero() {
		parts = append(parts, "BEFORE "+q.Before.Format("2-Jan-2006"))
	}
	return strings.Join(parts, " ")
}

func boolp(b bool) *bool { return &b }

// Queries returns the queries of one kind for a mailbox of n generated
// messages. Each substring query but the "-miss" ones takes its token from
// a message of the mailbox, so it has at least one hit however small n is;
// dates depend only on n.
func (g *Generator) Queries(kind QueryKind, n int) []Query {
	n = max(n, 1)
	switch kind {
	case HeaderQuery:
		return []Query{
			{Name: "from", Kind: kind, Field: "FROM", Value: FromToken(g.Meta(n / 3).Sender)},
			{Name: "subject", Kind: kind, Field: "SUBJECT", Value: SubjectToken(g.Meta(n / 2).Subject)},
			{Name: "to", Kind: kind, Field: "TO", Value: ToToken(g.Meta(0).Recipient)},
			{Name: "from-miss", Kind: kind, Field: "FROM", Value: "zqnomatchx"},
		}
	case BodyQuery:
		return []Query{
			{Name: "body", Kind: kind, Field: "BODY", Value: BodyToken(g.Meta(n / 4).Body)},
			{Name: "text", Kind: kind, Field: "TEXT", Value: BodyToken(g.Meta(n - 1).Body)},
			{Name: "text-subject", Kind: kind, Field: "TEXT", Value: SubjectToken(g.Meta(n / 5).Subject)},
			{Name: "body-miss", Kind: kind, Field: "BODY", Value: "zqnomatchx"},
		}
	case FlagQuery:
		mid, third := g.DayOf(n/2), g.DayOf(n/3)
		return []Query{
			{Name: "unseen", Kind: kind, Seen: boolp(false)},
			{Name: "flagged", Kind: kind, Flagged: boolp(true)},
			{Name: "unseen-since", Kind: kind, Seen: boolp(false), Since: mid},
			{Name: "flagged-before", Kind: kind, Flagged: boolp(true), Before: third},
		}
	}
	return nil
}

// Expect returns how many of the first n generated messages match q.
func (g *Generator) Expect(q Query, n int) int {
	count := 0
	for i := 0; i < n; i++ {
		if g.matches(q, g.Meta(i)) {
			count++
		}
	}
	return count
}

func (g *Generator) matches(q Query, m Meta) bool {
	tok := strings.ToLower(q.Value)
	switch q.Field {
	case "FROM":
		if tok != FromToken(m.Sender) {
			return false
		}
	case "TO":
		if tok != ToToken(m.Recipient) {
			return false
		}
	case "SUBJECT":
		if tok != SubjectToken(m.Subject) {
			return false
		}
	case "BODY":
		if tok != BodyToken(m.Body) {
			return false
		}
	case "TEXT":
		// TEXT covers header and body (RFC 9051 §6.4.4); tokens of every
		// kind are unique, so one of them must be the message's own.
		if tok != BodyToken(m.Body) && tok != SubjectToken(m.Subject) &&
			tok != FromToken(m.Sender) && tok != ToToken(m.Recipient) {
			return false
		}
	}
	if q.Seen != nil && *q.Seen != m.Seen {
		return false
	}
	if q.Flagged != nil && *q.Flagged != m.Flagged {
		return false
	}
	day := time.Date(m.Date.Year(), m.Date.Month(), m.Date.Day(), 0, 0, 0, 0, time.UTC)
	if !q.Since.IsZero() && day.Before(q.Since) {
		return false
	}
	if !q.Before.IsZero() && !day.Before(q.Before) {
		return false
	}
	return true
}
