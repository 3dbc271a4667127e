package workload

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/target"
)

// leanSearchWorker runs a SEARCH workload through target.RawConn: each
// query's command is built once, and the answers' UIDs are counted as
// they are lexed, never decoded into a set. Per operation it allocates
// nothing.
type leanSearchWorker struct {
	c       *target.RawConn
	queries []leanQuery
	next    int
}

// leanQuery is a query with its command, after the tag.
type leanQuery struct {
	query
	cmd []byte
}

func newLeanSearch(e *env, kind corpus.QueryKind) (worker, error) {
	var qs []leanQuery
	for _, q := range e.queries(kind) {
		cmd, err := searchCommand(q.q)
		if err != nil {
			return nil, err
		}
		qs = append(qs, leanQuery{q, cmd})
	}
	c, err := e.t.DialRaw(e.user, e.opt.Mailbox)
	if err != nil {
		return nil, err
	}
	if c.Exists() == 0 {
		c.Close()
		return nil, fmt.Errorf("%w: %s of user %d is empty: load the corpus first", ErrWorkload, e.opt.Mailbox, e.user)
	}
	// Workers start at different queries so that all are exercised, as
	// searchWorker's do.
	return &leanSearchWorker{c: c, queries: qs, next: e.user}, nil
}

func (w *leanSearchWorker) op(r *rand.Rand) (opResult, error) {
	q := w.queries[w.next%len(w.queries)]
	w.next++
	before := w.traffic()
	hits, err := w.c.Search(q.cmd)
	res := opResult{bytes: w.traffic() - before}
	if err != nil {
		// No hits for a failed search, as with go-imap (search).
		return res, fmt.Errorf("%w: SEARCH %s: %w", ErrWorkload, q.q, err)
	}
	res.msgs = hits
	if q.expect >= 0 && hits != int64(q.expect) {
		res.mismatch = true
		err = fmt.Errorf("%w: SEARCH %s: %d hits, want %d", ErrWorkload, q.q, hits, q.expect)
	}
	return res, err
}

func (w *leanSearchWorker) traffic() int64 { return w.c.BytesRead() + w.c.BytesWritten() }

func (w *leanSearchWorker) close() { w.c.Logout() }

// searchCommand renders a corpus query as the UID SEARCH command go-imap
// v2 sends for criteria(q) (imapclient's writeSearchKey): the keys in its
// order — dates, header fields, BODY, TEXT, flags, negated flags — dates
// quoted, strings quoted when they can be and literals otherwise (see
// target.AppendString), ALL when nothing is asked. Values beyond ASCII
// get "CHARSET UTF-8" first, as go-imap sends them to an IMAP4rev1 server
// (Dovecot); to an IMAP4rev2 server (postbus) go-imap sends them quoted
// without CHARSET, which RFC 9051 §6.4.4 makes the same search (UTF-8 is
// its default charset). The generated corpus's queries are all ASCII, so
// both clients send every server the same bytes.
func searchCommand(q corpus.Query) ([]byte, error) {
	cmd := []byte("UID SEARCH ")
	if !isASCII(q.Value) {
		cmd = append(cmd, "CHARSET UTF-8 "...)
	}
	first := true
	key := func(k string) {
		if !first {
			cmd = append(cmd, ' ')
		}
		first = false
		cmd = append(cmd, k...)
	}
	date := func(t time.Time) {
		cmd = append(append(append(cmd, " \""...), t.Format("2-Jan-2006")...), '"')
	}
	if !q.Since.IsZero() && !q.Before.IsZero() && q.Before.Sub(q.Since) == 24*time.Hour {
		key("ON")
		date(q.Since)
	} else {
		if !q.Since.IsZero() {
			key("SINCE")
			date(q.Since)
		}
		if !q.Before.IsZero() {
			key("BEFORE")
			date(q.Before)
		}
	}
	switch q.Field {
	case "FROM", "TO", "SUBJECT", "BODY", "TEXT":
		key(q.Field)
		var err error
		if cmd, err = target.AppendString(append(cmd, ' '), q.Value); err != nil {
			return nil, fmt.Errorf("%w: SEARCH %s: %w", ErrWorkload, q, err)
		}
	}
	if q.Seen != nil && *q.Seen {
		key("SEEN")
	}
	if q.Flagged != nil && *q.Flagged {
		key("FLAGGED")
	}
	if q.Seen != nil && !*q.Seen {
		key("UNSEEN")
	}
	if q.Flagged != nil && !*q.Flagged {
		key("UNFLAGGED")
	}
	if first {
		key("ALL")
	}
	return cmd, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
