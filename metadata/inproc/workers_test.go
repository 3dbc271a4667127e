package inproc

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestWorkersRunConcurrentlyAndAreReused(t *testing.T) {
	w := newWorkers()
	// Tasks that wait for each other must each get a goroutine.
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
	started.Wait() // would hang if a task waited for another's goroutine
	release.Done()
	for range n {
		<-done
	}
	// Sequential tasks reuse the idle goroutines instead of adding ones.
	time.Sleep(10 * time.Millisecond) // let the five reach their select
	before := runtime.NumGoroutine()
	for range 100 {
		ch := make(chan struct{})
		w.run(func() { close(ch) })
		<-ch
	}
	time.Sleep(10 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after 100 sequential tasks, %d before", after, before)
	}
}
