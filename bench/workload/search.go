package workload

import (
	"fmt"
	"math/rand/v2"

	"github.com/postbus/postbus/bench/corpus"
)

func init() {
	register(def{"search-header", "UID SEARCH FROM / SUBJECT / TO substrings (hit counts checked)", newSearch(corpus.HeaderQuery)})
	register(def{"search-body", "UID SEARCH BODY / TEXT substrings (hit counts checked)", newSearch(corpus.BodyQuery)})
	register(def{"search-flags", "UID SEARCH UNSEEN / FLAGGED, with SINCE / BEFORE (hit counts checked)", newSearch(corpus.FlagQuery)})
}

// query is a search with its expected hit count (-1: unknown).
type query struct {
	q      corpus.Query
	expect int
}

// searchWorker runs a SEARCH workload through go-imap.
type searchWorker struct {
	*session
	queries []query
	next    int
}

// newSearch opens a SEARCH workload's worker: the lean client
// (leansearch.go) unless Options.Client is ClientGoIMAP.
func newSearch(kind corpus.QueryKind) func(e *env) (worker, error) {
	return func(e *env) (worker, error) {
		if e.opt.Client != ClientGoIMAP {
			return newLeanSearch(e, kind)
		}
		s, err := openSession(e, true)
		if err != nil {
			return nil, err
		}
		// Workers start at different queries so that all are exercised.
		return &searchWorker{session: s, queries: e.queries(kind), next: e.user}, nil
	}
}

func (w *searchWorker) op(r *rand.Rand) (opResult, error) {
	q := w.queries[w.next%len(w.queries)]
	w.next++
	return search(w.session, q)
}

// search runs one UID SEARCH through go-imap and checks its hit count
// (the mixed workload's search too).
func search(s *session, q query) (opResult, error) {
	before := s.traffic()
	var hits int
	err := s.c.Do(func() error {
		data, err := s.c.UIDSearch(criteria(q.q), nil).Wait()
		if err != nil {
			return fmt.Errorf("%w: SEARCH %s: %w", ErrWorkload, q.q, err)
		}
		hits = len(data.AllUIDs())
		return nil
	})
	res := opResult{msgs: int64(hits), bytes: s.traffic() - before}
	if err == nil && q.expect >= 0 && hits != q.expect {
		res.mismatch = true
		err = fmt.Errorf("%w: SEARCH %s: %d hits, want %d", ErrWorkload, q.q, hits, q.expect)
	}
	return res, err
}

// queries returns the queries of a kind with expectations when the corpus
// is generated and checking is on.
func (e *env) queries(kind corpus.QueryKind) []query {
	var out []query
	for _, q := range e.gen.Queries(kind, e.opt.Messages) {
		exp := -1
		if e.opt.CheckHits {
			exp = e.opt.expect(e.gen, q)
		}
		out = append(out, query{q, exp})
	}
	return out
}
