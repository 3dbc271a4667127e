package blobstoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata/base"
)

// Run runs the conformance suite. newStore must return a new, empty store
// for each call (each subtest calls it once) and arrange its cleanup on t.
func Run(t *testing.T, newStore func(t *testing.T) blobstore.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, blobstore.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Dedup", testDedup},
		{"Ranges", testRanges},
		{"Missing", testMissing},
		{"MaxSize", testMaxSize},
		{"FailingReader", testFailingReader},
		{"CancelledPut", testCancelledPut},
		{"Delete", testDelete},
		{"List", testList},
		{"ConcurrentSamePut", testConcurrentSamePut},
		{"Large", testLarge},
		{"InvalidIDs", testInvalidIDs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// put stores b and checks the returned ID and size.
func put(t *testing.T, s blobstore.Store, b []byte) string {
	t.Helper()
	id, n, err := s.Put(context.Background(), bytes.NewReader(b), 0)
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(b), err)
	}
	if want := idOf(b); id != want || n != int64(len(b)) {
		t.Fatalf("Put(%d bytes) = %s, %d; want %s, %d", len(b), id, n, want, len(b))
	}
	return id
}

// read opens and reads a range.
func read(t *testing.T, s blobstore.Store, id string, off, n int64) ([]byte, error) {
	t.Helper()
	rc, err := s.Open(context.Background(), id, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// list returns everything List reports.
func list(t *testing.T, s blobstore.Store) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	err := s.List(context.Background(), func(id string, size int64, mod time.Time) bool {
		if _, dup := got[id]; dup {
			t.Errorf("List reported %s twice", id)
		}
		if mod.IsZero() {
			t.Errorf("List reported %s with a zero modification time", id)
		}
		got[id] = size
		return true
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return got
}

func expectEmpty(t *testing.T, s blobstore.Store) {
	t.Helper()
	if got := list(t, s); len(got) != 0 {
		t.Fatalf("store holds %d blobs, want none: %v", len(got), got)
	}
}

func testRoundTrip(t *testing.T, s blobstore.Store) {
	for _, size := range []int64{0, 1, 4096, 100_000, 1<<20 + 3} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			b := newGen(uint64(size), size).rangeOf(0, size)
			id := put(t, s, b)
			got, err := read(t, s, id, 0, -1)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, b) {
				t.Fatalf("read back %d bytes differing from the %d put", len(got), len(b))
			}
			n, err := s.Stat(context.Background(), id)
			if err != nil || n != size {
				t.Fatalf("Stat = %d, %v; want %d", n, err, size)
			}
		})
	}
}

func testDedup(t *testing.T, s blobstore.Store) {
	b := []byte("From: a@example.org\r\n\r\nsame body\r\n")
	id1 := put(t, s, b)
	id2 := put(t, s, b)
	if id1 != id2 {
		t.Fatalf("same bytes gave IDs %s and %s", id1, id2)
	}
	id3 := put(t, s, append(b, '!'))
	if id3 == id1 {
		t.Fatalf("different bytes gave the same ID %s", id1)
	}
	got := list(t, s)
	want := map[string]int64{id1: int64(len(b)), id3: int64(len(b) + 1)}
	if !mapsEqual(got, want) {
		t.Fatalf("List = %v, want %v", got, want)
	}
}

func testRanges(t *testing.T, s blobstore.Store) {
	b := newGen(7, 1000).rangeOf(0, 1000)
	id := put(t, s, b)
	tests := []struct {
		name        string
		off, length int64
		want        []byte
	}{
		{"all", 0, -1, b},
		{"all exact", 0, 1000, b},
		{"prefix", 0, 10, b[:10]},
		{"middle", 10, 20, b[10:30]},
		{"suffix", 990, -1, b[990:]},
		{"last byte", 999, 1, b[999:]},
		{"truncated", 990, 100, b[990:]},
		{"huge length", 500, 1 << 62, b[500:]},
		{"max length", 500, math.MaxInt64, b[500:]},
		{"max length at 0", 0, math.MaxInt64, b},
		{"at end", 1000, 10, nil},
		{"at end to end", 1000, -1, nil},
		{"past end", 2000, -1, nil},
		{"past end with length", 2000, 5, nil},
		{"zero length", 5, 0, nil},
		{"zero length at 0", 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(t, s, id, tt.off, tt.length)
			if err != nil {
				t.Fatalf("Open(%d, %d): %v", tt.off, tt.length, err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("Open(%d, %d) read %d bytes, want %d (or different content)", tt.off, tt.length, len(got), len(tt.want))
			}
		})
	}
	t.Run("empty blob", func(t *testing.T) {
		empty := put(t, s, nil)
		for _, r := range [][2]int64{{0, -1}, {0, 10}, {5, -1}, {0, 0}} {
			got, err := read(t, s, empty, r[0], r[1])
			if err != nil || len(got) != 0 {
				t.Fatalf("Open(empty, %d, %d) = %d bytes, %v; want 0, nil", r[0], r[1], len(got), err)
			}
		}
	})
	t.Run("negative offset", func(t *testing.T) {
		if _, err := s.Open(context.Background(), id, -1, 10); !errors.Is(err, base.ErrInvalidArgument) {
			t.Fatalf("Open(-1, 10) = %v, want ErrInvalidArgument", err)
		}
	})
}

func testMissing(t *testing.T, s blobstore.Store) {
	id := idOf([]byte("never stored"))
	for _, r := range [][2]int64{{0, -1}, {10, 5}, {0, 0}, {1 << 40, -1}} {
		if _, err := s.Open(context.Background(), id, r[0], r[1]); !errors.Is(err, base.ErrNoSuchBlob) {
			t.Errorf("Open(missing, %d, %d) = %v, want ErrNoSuchBlob", r[0], r[1], err)
		}
	}
	if _, err := s.Stat(context.Background(), id); !errors.Is(err, base.ErrNoSuchBlob) {
		t.Errorf("Stat(missing) = %v, want ErrNoSuchBlob", err)
	}
	if err := s.Delete(context.Background(), id); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
}

func testMaxSize(t *testing.T, s blobstore.Store) {
	// 9 MiB exceeds one S3 part, so both upload paths of a store that
	// buffers small blobs are exercised.
	for _, size := range []int64{100, 9 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			_, _, err := s.Put(context.Background(), newGen(1, size+1), size)
			if !errors.Is(err, base.ErrTooBig) {
				t.Fatalf("Put(%d bytes, max %d) = %v, want ErrTooBig", size+1, size, err)
			}
			if _, err := s.Stat(context.Background(), genID(1, size+1)); !errors.Is(err, base.ErrNoSuchBlob) {
				t.Fatalf("after a refused Put, Stat = %v, want ErrNoSuchBlob", err)
			}
			expectEmpty(t, s)
			// Exactly at the limit is fine.
			id, n, err := s.Put(context.Background(), newGen(2, size), size)
			if err != nil || n != size || id != genID(2, size) {
				t.Fatalf("Put(%d bytes, max %d) = %s, %d, %v", size, size, id, n, err)
			}
			if err := s.Delete(context.Background(), id); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func testFailingReader(t *testing.T, s blobstore.Store) {
	for _, size := range []int64{0, 100, 9 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			_, _, err := s.Put(context.Background(), newFailing(3, size), 0)
			if !errors.Is(err, errSource) {
				t.Fatalf("Put(reader failing after %d bytes) = %v, want the reader's error", size, err)
			}
			expectEmpty(t, s)
		})
	}
}

func testCancelledPut(t *testing.T, s blobstore.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	// The source cancels the Put's context halfway, as a client hanging up
	// would; the Put must stop with that error and store nothing.
	r := io.MultiReader(newGen(4, 64<<10), readerFunc(func(p []byte) (int, error) {
		cancel()
		return copy(p, "x"), nil
	}), newGen(5, 64<<10))
	_, _, err := s.Put(ctx, r, 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with cancelled ctx = %v, want context.Canceled", err)
	}
	expectEmpty(t, s)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func testDelete(t *testing.T, s blobstore.Store) {
	keep := put(t, s, []byte("keep"))
	id := put(t, s, []byte("delete me"))
	for i := 0; i < 2; i++ {
		if err := s.Delete(context.Background(), id); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := s.Stat(context.Background(), id); !errors.Is(err, base.ErrNoSuchBlob) {
		t.Fatalf("Stat after Delete = %v, want ErrNoSuchBlob", err)
	}
	if _, err := s.Open(context.Background(), id, 0, -1); !errors.Is(err, base.ErrNoSuchBlob) {
		t.Fatalf("Open after Delete = %v, want ErrNoSuchBlob", err)
	}
	if got := list(t, s); !mapsEqual(got, map[string]int64{keep: 4}) {
		t.Fatalf("List after Delete = %v", got)
	}
	// A deleted blob can be stored again.
	put(t, s, []byte("delete me"))
}

func testList(t *testing.T, s blobstore.Store) {
	want := map[string]int64{}
	for i := 0; i < 40; i++ {
		b := []byte(strings.Repeat("m", i))
		want[put(t, s, b)] = int64(i)
	}
	if got := list(t, s); !mapsEqual(got, want) {
		t.Fatalf("List = %d entries, want %d: %v", len(got), len(want), got)
	}
	calls := 0
	err := s.List(context.Background(), func(string, int64, time.Time) bool {
		calls++
		return false
	})
	if err != nil || calls != 1 {
		t.Fatalf("List stopping at the first entry: %d calls, %v; want 1, nil", calls, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.List(ctx, func(string, int64, time.Time) bool { return true }); !errors.Is(err, context.Canceled) {
		t.Fatalf("List with a cancelled ctx = %v, want context.Canceled", err)
	}
}

func testConcurrentSamePut(t *testing.T, s blobstore.Store) {
	const workers = 8
	b := newGen(6, 256<<10).rangeOf(0, 256<<10)
	want := idOf(b)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, n, err := s.Put(context.Background(), bytes.NewReader(b), 0)
			if err == nil && (id != want || n != int64(len(b))) {
				err = fmt.Errorf("got %s, %d", id, n)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Put #%d: %v", i, err)
		}
	}
	if got := list(t, s); !mapsEqual(got, map[string]int64{want: int64(len(b))}) {
		t.Fatalf("List after concurrent Puts = %v", got)
	}
	got, err := read(t, s, want, 0, -1)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("content after concurrent Puts: %d bytes, %v", len(got), err)
	}
}

func testLarge(t *testing.T, s blobstore.Store) {
	const size = 20_000_000
	const seed = 20
	gen := newGen(seed, size)
	want := genID(seed, size)

	// The store must stream: what it allocates during the Put has to stay
	// well below the blob's size (the generator itself allocates nothing
	// per read).
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	id, n, err := s.Put(context.Background(), gen, 0)
	runtime.ReadMemStats(&after)
	if err != nil || id != want || n != size {
		t.Fatalf("Put(20 MB) = %s, %d, %v; want %s, %d", id, n, err, want, size)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("Put(20 MB) allocated %d bytes", alloc)
	if alloc >= size {
		t.Errorf("Put(20 MB) allocated %d bytes: the blob was held in memory", alloc)
	}

	rc, err := s.Open(context.Background(), id, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	got, err := io.Copy(h, rc)
	rc.Close()
	if err != nil || got != size || hex.EncodeToString(h.Sum(nil)) != want {
		t.Fatalf("reading 20 MB back: %d bytes, %v, hash match %v", got, err, hex.EncodeToString(h.Sum(nil)) == want)
	}

	for _, r := range [][2]int64{{12_345_678, 100_000}, {size - 10, 100}, {8 << 20, 1}} {
		b, err := read(t, s, id, r[0], r[1])
		if err != nil || !bytes.Equal(b, gen.rangeOf(r[0], r[1])) {
			t.Fatalf("Open(20 MB, %d, %d): %d bytes, %v", r[0], r[1], len(b), err)
		}
	}
	if got := list(t, s); !mapsEqual(got, map[string]int64{id: size}) {
		t.Fatalf("List = %v", got)
	}
}

func testInvalidIDs(t *testing.T, s blobstore.Store) {
	valid := idOf([]byte("x"))
	bad := []string{
		"",
		"abc",
		strings.ToUpper(valid),
		valid + "0",
		valid[:63],
		valid[:63] + "g",
		"../../../../etc/passwd",
		"../" + valid[3:],
		valid[:2] + "/" + valid[3:],
		"tmp/" + valid[4:],
		strings.Repeat(".", 64),
		valid[:32] + "\x00" + valid[33:],
	}
	for _, id := range bad {
		if _, err := s.Open(context.Background(), id, 0, -1); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v, want ErrInvalidArgument", id, err)
		}
		if _, err := s.Stat(context.Background(), id); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("Stat(%q) = %v, want ErrInvalidArgument", id, err)
		}
		if err := s.Delete(context.Background(), id); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidArgument", id, err)
		}
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
