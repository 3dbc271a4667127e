package corpus

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Token-space sizes: how many distinct values each searchable token takes.
const (
	Senders    = 24
	Recipients = 12
	Subjects   = 32
	Bodies     = 16
	// threadLen is how many consecutive messages form one thread.
	threadLen = 4
	// perDay messages share one calendar day (see Meta.Date).
	perDay = 24
)

// epoch is the date of message 0.
var epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Kind is the MIME shape of a generated message.
type Kind int

// The shapes the generator produces.
const (
	Plain       Kind = iota // one text/plain part
	Alternative             // multipart/alternative: text/plain + text/html
	Mixed                   // multipart/mixed: text (plain or alternative) + base64 attachments
)

// Meta is what is known about generated message i without rendering it.
type Meta struct {
	Index int
	// Date is both the Date header and the internal date given at APPEND.
	// It always falls between 11:00 and 13:00 UTC, so the calendar day that
	// SEARCH SINCE/BEFORE compare is the same in every time zone within
	// ±11 h of UTC, whichever zone the server uses.
	Date          time.Time
	Seen, Flagged bool
	Sender        int // token FromToken(Sender) is in the From address
	Recipient     int // token ToToken(Recipient) is in the To address
	Subject       int // token SubjectToken(Subject) is in the Subject
	Body          int // token BodyToken(Body) is in the body text
	Thread        int // messages of one thread share Subject
	Parent        int // index of the message this replies to, or -1
	List          bool
	Lang          int
	Kind          Kind
}

// FromToken and friends spell the tokens; see the package doc.
func FromToken(n int) string    { return fmt.Sprintf("zqf%02dx", n) }
func ToToken(n int) string      { return fmt.Sprintf("zqt%02dx", n) }
func SubjectToken(n int) string { return fmt.Sprintf("zqs%02dx", n) }
func BodyToken(n int) string    { return fmt.Sprintf("zqb%02dx", n) }

// metaRand is the random stream that decides message i's metadata; the
// rendering uses a different stream so Meta stays cheap.
func metaRand(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(i)<<1))
}

// renderRand does not depend on the user: the user only varies the
// Delivered-To line (see render), so sizes and tokens match across users.
func renderRand(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(i)<<1|1))
}

// Meta returns message i's metadata.
func (g *Generator) Meta(i int) Meta {
	r := metaRand(g.cfg.Seed, i)
	thread := i / threadLen
	m := Meta{
		Index:     i,
		Thread:    thread,
		Parent:    -1,
		Sender:    r.IntN(Senders),
		Recipient: r.IntN(Recipients),
		Body:      r.IntN(Bodies),
		Seen:      r.Float64() < 0.7,
		Flagged:   r.Float64() < 0.1,
	}
	if i%threadLen != 0 {
		m.Parent = i - 1
	}
	// The subject is a thread property, from the thread root's own stream.
	m.Subject = int(rand.New(rand.NewPCG(g.cfg.Seed, uint64(thread)<<1|1)).IntN(Subjects))
	m.List = thread%5 == 0
	m.Lang = pickWeighted(r, languageWeights)
	switch x := r.Float64(); {
	case x < 0.5:
		m.Kind = Plain
	case x < 0.8:
		m.Kind = Alternative
	default:
		m.Kind = Mixed
	}
	day := epoch.AddDate(0, 0, i/perDay)
	m.Date = day.Add(11*time.Hour + time.Duration(r.IntN(120*60))*time.Second)
	return m
}

// DayOf returns the UTC calendar day (midnight) of message i's date.
func (g *Generator) DayOf(i int) time.Time {
	return epoch.AddDate(0, 0, i/perDay)
}

func pickWeighted(r *rand.Rand, w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	n := r.IntN(total)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}
