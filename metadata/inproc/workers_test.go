package inproc

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
)

// goid returns the running goroutine's id, from its stack trace header.
func goid() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	return string(bytes.Fields(buf)[1]) // "goroutine 42 [running]:"
}

func TestWorkersRunEveryTaskConcurrently(t *testing.T) {
	w := newWorkers()
	// Tasks that wait for each other must each get a goroutine: this
	// would hang if one waited for another's goroutine to be free.
	const n = 5
	var started, release sync.WaitGroup
	started.Add(n)
	release.Add(1)
	done := make(chan struct{}, n)
	for range n {
		w.run(func() {
			started.Done()
			release.Wait()
			done <- struct{}{}
		})
	}
	started.Wait()
	release.Done()
	for range n {
		<-done
	}
}

func TestWorkersReuseGoroutines(t *testing.T) {
	w := newWorkers()
	// One task at a time: a finished goroutine waits for the next task,
	// so most tasks run on one already there. (A task may still get a
	// new goroutine when it arrives before the last one is back waiting;
	// hence a bound, not an exact count.)
	const n = 1000
	seen := map[string]bool{}
	for range n {
		ch := make(chan string)
		w.run(func() { ch <- goid() })
		seen[<-ch] = true
	}
	if len(seen) > n/2 {
		t.Errorf("%d tasks ran on %d goroutines: not reused", n, len(seen))
	}
}
