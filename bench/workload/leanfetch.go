package workload

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/postbus/postbus/bench/target"
)

// leanFetchWorker runs a FETCH workload through target.RawConn: the
// command is built in a reused buffer, and the responses are lexed,
// counted and checked for their items, never decoded. Per operation it
// allocates nothing.
type leanFetchWorker struct {
	c    *target.RawConn
	spec fetchSpec
	size int
	want [][]byte
	cmd  []byte
}

func newLeanFetch(e *env, spec fetchSpec, size int) (worker, error) {
	c, err := e.t.DialRaw(e.user, e.opt.Mailbox)
	if err != nil {
		return nil, err
	}
	if c.Exists() == 0 {
		c.Close()
		return nil, fmt.Errorf("%w: %s of user %d is empty: load the corpus first", ErrWorkload, e.opt.Mailbox, e.user)
	}
	w := &leanFetchWorker{c: c, spec: spec, size: size, cmd: make([]byte, 0, 128)}
	for _, s := range spec.want {
		w.want = append(w.want, []byte(s))
	}
	return w, nil
}

func (w *leanFetchWorker) op(r *rand.Rand) (opResult, error) {
	if w.spec.all {
		w.cmd = append(w.cmd[:0], "UID FETCH 1:* "...)
	} else {
		// The same choice as session.randomRange.
		exists := int(w.c.Exists())
		n := max(1, min(w.size, exists))
		first := 1 + r.IntN(exists-n+1)
		w.cmd = strconv.AppendInt(append(w.cmd[:0], "FETCH "...), int64(first), 10)
		if n > 1 {
			w.cmd = strconv.AppendInt(append(w.cmd, ':'), int64(first+n-1), 10)
		}
		w.cmd = append(w.cmd, ' ')
	}
	w.cmd = append(w.cmd, w.spec.items...)
	before := w.traffic()
	n, err := w.c.Fetch(w.cmd, w.want)
	if err != nil {
		err = fmt.Errorf("%w: %s: %w", ErrWorkload, w.cmd, err)
	}
	return opResult{msgs: n, bytes: w.traffic() - before}, err
}

func (w *leanFetchWorker) traffic() int64 { return w.c.BytesRead() + w.c.BytesWritten() }

func (w *leanFetchWorker) close() { w.c.Logout() }
