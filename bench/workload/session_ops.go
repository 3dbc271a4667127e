package workload

import (
	"fmt"
	"math/rand/v2"

	"github.com/emersion/go-imap/v2"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/load"
)

func init() {
	register(def{"select", "SELECT / EXAMINE of the loaded mailbox, alternately", newSelect})
	register(def{"append", "APPEND a corpus message (with flags and date) to the append mailbox", newAppend})
	register(def{"login", "connect, TLS handshake, LOGIN, LOGOUT", newLogin})
	register(def{"mixed", "one Apache James Gatling session: login, select, fetch headers, fetch body, search unseen, store flags, append, logout", newMixed})
}

type selectWorker struct{ *session }

func newSelect(e *env) (worker, error) {
	s, err := openSession(e, false)
	if err != nil {
		return nil, err
	}
	return &selectWorker{s}, nil
}

func (w *selectWorker) op(r *rand.Rand) (opResult, error) {
	before := w.traffic()
	err := w.selectMailbox(w.e.opt.Mailbox, r.IntN(2) == 0)
	return opResult{msgs: int64(w.exists), bytes: w.traffic() - before}, err
}

type appendWorker struct{ *session }

func newAppend(e *env) (worker, error) {
	s, err := openSession(e, false)
	if err != nil {
		return nil, err
	}
	// CREATE fails harmlessly if the mailbox exists (another worker, an
	// earlier run); APPEND's own error says if it is really missing.
	s.c.Do(func() error { return s.c.Create(e.opt.AppendMailbox, nil).Wait() })
	return &appendWorker{s}, nil
}

func (w *appendWorker) op(r *rand.Rand) (opResult, error) {
	return appendOne(w.session, r)
}

func appendOne(s *session, r *rand.Rand) (opResult, error) {
	src := s.e.opt.Corpus
	msg, err := src.Message(s.e.user, r.IntN(src.Len()))
	if err != nil {
		return opResult{}, err
	}
	before := s.traffic()
	if err := load.Append(s.c, s.e.opt.AppendMailbox, msg); err != nil {
		return opResult{}, fmt.Errorf("%w: APPEND: %w", ErrWorkload, err)
	}
	return opResult{msgs: 1, bytes: s.traffic() - before}, nil
}

// loginWorker holds no connection: every operation is a new one.
type loginWorker struct{ e *env }

func newLogin(e *env) (worker, error) { return &loginWorker{e}, nil }

func (w *loginWorker) op(r *rand.Rand) (opResult, error) {
	c, err := w.e.t.DialLogin(w.e.user)
	if err != nil {
		return opResult{}, err
	}
	err = c.Logout()
	return opResult{bytes: c.BytesRead() + c.BytesWritten()}, err
}

func (w *loginWorker) close() {}

// mixedWorker runs whole sessions, as the Gatling scenario of the Apache
// James IMAP benchmark does: one operation is one session.
type mixedWorker struct {
	e      *env
	unseen query
}

func newMixed(e *env) (worker, error) {
	unseen := query{q: corpus.Query{Name: "unseen", Kind: corpus.FlagQuery, Seen: new(bool)}, expect: -1}
	if e.opt.CheckHits {
		unseen.expect = e.opt.expect(e.gen, unseen.q)
	}
	// The append mailbox is created once here, outside the measured session.
	s, err := openSession(e, false)
	if err != nil {
		return nil, err
	}
	s.c.Do(func() error { return s.c.Create(e.opt.AppendMailbox, nil).Wait() })
	s.close()
	return &mixedWorker{e: e, unseen: unseen}, nil
}

func (w *mixedWorker) close() {}

func (w *mixedWorker) op(r *rand.Rand) (opResult, error) {
	s, err := openSession(w.e, false)
	if err != nil {
		return opResult{}, err
	}
	var res opResult
	step := func(f func() error) {
		if err == nil {
			err = f()
		}
	}
	step(func() error { return s.selectMailbox(w.e.opt.Mailbox, false) })
	fetch := func(set imap.SeqSet, opts *imap.FetchOptions) func() error {
		return func() error {
			return s.c.Do(func() error {
				n, err := drainFetch(s.c.Fetch(set, opts))
				res.msgs += n
				return err
			})
		}
	}
	if s.exists > 0 {
		step(fetch(s.randomRange(r, 10), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{
			Specifier: imap.PartSpecifierHeader, Peek: true}}}))
		step(fetch(s.randomRange(r, 1), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}))
	}
	step(func() error {
		sr, err := search(s, w.unseen)
		res.mismatch = sr.mismatch
		return err
	})
	if s.exists > 0 {
		// \Answered only: no read workload's expectation depends on it.
		step(func() error {
			return s.c.Do(func() error {
				return s.c.Store(s.randomRange(r, 1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true,
					Flags: []imap.Flag{imap.FlagAnswered}}, nil).Close()
			})
		})
	}
	step(func() error {
		_, err := appendOne(s, r)
		return err
	})
	step(func() error { return s.c.Logout() })
	if err != nil {
		s.c.Close()
	}
	res.bytes = s.traffic()
	return res, err
}
