package inproc

import "time"

// workerIdle is how long a finished stream goroutine waits for the next
// handler before it exits.
const workerIdle = 30 * time.Second

// workers runs stream handlers on reused goroutines. A new goroutine
// starts with a small stack, which a handler's Pebble reads grow by
// copying it, on every FETCH; a reused goroutine keeps its grown stack.
// Idle goroutines exit after workerIdle, so the pool is as large as the
// recent peak of concurrent streams.
type workers struct {
	tasks chan func() // unbuffered: a send succeeds only to an idle goroutine
}

func newWorkers() *workers { return &workers{tasks: make(chan func())} }

// run runs f on an idle goroutine, or on a new one.
func (w *workers) run(f func()) {
	select {
	case w.tasks <- f:
	default:
		go w.loop(f)
	}
}

func (w *workers) loop(f func()) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		f()
		idle.Reset(workerIdle)
		select {
		case f = <-w.tasks:
		case <-idle.C:
			return
		}
	}
}
