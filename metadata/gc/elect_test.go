package gc_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbus/postbus/metadata/cluster/embedded"
	"github.com/postbus/postbus/metadata/gc"
)

// TestElected: of two candidates exactly one runs the collector; when it
// stops, the other takes over.
func TestElected(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	etcd, err := embedded.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	cli, err := etcd.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	var running, maxRunning atomic.Int32
	started := make(chan string, 4)
	candidate := func(ctx context.Context, id string, wg *sync.WaitGroup) {
		defer wg.Done()
		gc.Elected(ctx, cli, "/test/", id, slog.New(slog.DiscardHandler), func(ctx context.Context) {
			n := running.Add(1)
			for m := maxRunning.Load(); n > m && !maxRunning.CompareAndSwap(m, n); m = maxRunning.Load() {
			}
			started <- id
			<-ctx.Done()
			running.Add(-1)
		})
	}
	ctxA, stopA := context.WithCancel(ctx)
	ctxB, stopB := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go candidate(ctxA, "a", &wg)
	go candidate(ctxB, "b", &wg)
	first := <-started
	select {
	case second := <-started:
		t.Fatalf("%s and %s both elected", first, second)
	case <-time.After(300 * time.Millisecond):
	}
	if first == "a" {
		stopA()
	} else {
		stopB()
	}
	select {
	case next := <-started:
		if next == first {
			t.Fatalf("%s elected again after it stopped", next)
		}
	case <-ctx.Done():
		t.Fatal("nobody took over")
	}
	stopA()
	stopB()
	wg.Wait()
	if maxRunning.Load() != 1 {
		t.Fatalf("%d collectors ran at once", maxRunning.Load())
	}
}
