package workload

import (
	"math/rand/v2"

	"github.com/emersion/go-imap/v2"
)

// The FETCH workloads. Each works on its own selected (EXAMINEd, so
// nothing changes) mailbox.

func init() {
	register(def{"fetch-envelope", "UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE): a client syncing a whole mailbox", newFetchEnvelope})
	register(def{"fetch-headers", "FETCH n:n+R BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)]: a message list page", newFetchHeaders})
	register(def{"fetch-body", "FETCH n BODY.PEEK[] of a random message, streamed", newFetchBody})
	register(def{"fetch-bodystructure", "FETCH n:n+R (UID BODYSTRUCTURE): MIME trees of a page", newFetchBodyStructure})
}

type fetchWorker struct {
	*session
	opts *imap.FetchOptions
	all  bool // UID FETCH 1:* instead of a random range
	size int  // range size
}

func (w *fetchWorker) op(r *rand.Rand) (opResult, error) {
	before := w.traffic()
	var n int64
	err := w.c.Do(func() error {
		var err error
		if w.all {
			var set imap.UIDSet
			set.AddRange(1, 0)
			n, err = drainFetch(w.c.Fetch(set, w.opts))
		} else {
			n, err = drainFetch(w.c.Fetch(w.randomRange(r, w.size), w.opts))
		}
		return err
	})
	return opResult{msgs: n, bytes: w.traffic() - before}, err
}

func newFetchEnvelope(e *env) (worker, error) {
	s, err := openSession(e, true)
	if err != nil {
		return nil, err
	}
	return &fetchWorker{session: s, all: true,
		opts: &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, Envelope: true}}, nil
}

func newFetchHeaders(e *env) (worker, error) {
	s, err := openSession(e, true)
	if err != nil {
		return nil, err
	}
	return &fetchWorker{session: s, size: e.opt.Range, opts: &imap.FetchOptions{
		UID: true,
		BodySection: []*imap.FetchItemBodySection{{
			Specifier:    imap.PartSpecifierHeader,
			HeaderFields: []string{"From", "To", "Subject", "Date", "Message-ID"},
			Peek:         true,
		}},
	}}, nil
}

func newFetchBody(e *env) (worker, error) {
	s, err := openSession(e, true)
	if err != nil {
		return nil, err
	}
	return &fetchWorker{session: s, size: 1, opts: &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}}, nil
}

func newFetchBodyStructure(e *env) (worker, error) {
	s, err := openSession(e, true)
	if err != nil {
		return nil, err
	}
	return &fetchWorker{session: s, size: e.opt.Range, opts: &imap.FetchOptions{
		UID:           true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
	}}, nil
}
