package faultstore_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/blobstore/blobstoretest"
	"github.com/postbus/postbus/blobstore/faultstore"
	"github.com/postbus/postbus/metadata/base"
)

func newDir(t *testing.T) blobstore.Store {
	t.Helper()
	d, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Without faults the decorator is transparent.
func TestConformanceWithoutFaults(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store { return faultstore.New(newDir(t), nil) })
}

// Latency alone changes no result either.
func TestConformanceWithLatency(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		return faultstore.New(newDir(t), faultstore.Latency(time.Microsecond))
	})
}

func count(t *testing.T, s blobstore.Store) int {
	t.Helper()
	n := 0
	if err := s.List(context.Background(), func(blobstore.ID, int64, time.Time) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEachOperationFails(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		kind faultstore.OpKind
		do   func(s blobstore.Store, id blobstore.ID) error
	}{
		{faultstore.OpPut, func(s blobstore.Store, _ blobstore.ID) error {
			_, _, err := s.Put(ctx, strings.NewReader("new"), 0)
			return err
		}},
		{faultstore.OpPutAck, func(s blobstore.Store, _ blobstore.ID) error {
			_, _, err := s.Put(ctx, strings.NewReader("new"), 0)
			return err
		}},
		{faultstore.OpOpen, func(s blobstore.Store, id blobstore.ID) error {
			_, err := s.Open(ctx, id, 0, -1)
			return err
		}},
		{faultstore.OpRead, func(s blobstore.Store, id blobstore.ID) error {
			rc, err := s.Open(ctx, id, 0, -1)
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.ReadAll(rc)
			return err
		}},
		{faultstore.OpStat, func(s blobstore.Store, id blobstore.ID) error {
			_, err := s.Stat(ctx, id)
			return err
		}},
		{faultstore.OpDelete, func(s blobstore.Store, id blobstore.ID) error {
			return s.Delete(ctx, id)
		}},
		{faultstore.OpList, func(s blobstore.Store, _ blobstore.ID) error {
			return s.List(ctx, func(blobstore.ID, int64, time.Time) bool { return true })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			inner := newDir(t)
			s := faultstore.New(inner, nil)
			id, _, err := s.Put(ctx, strings.NewReader("fixture"), 0)
			if err != nil {
				t.Fatal(err)
			}
			s.SetInjector(faultstore.On(faultstore.Error(nil), tt.kind))
			err = tt.do(s, id)
			if !errors.Is(err, faultstore.ErrInjected) || !errors.Is(err, base.ErrUnavailable) {
				t.Fatalf("%s = %v, want the injected error", tt.kind, err)
			}
			if got := s.Injected(tt.kind); got != 1 {
				t.Fatalf("Injected(%s) = %d, want 1", tt.kind, got)
			}
			// Faults on Put store nothing; on PutAck the blob is stored.
			want := 1
			if tt.kind == faultstore.OpPutAck {
				want = 2
			}
			if got := count(t, inner); got != want {
				t.Fatalf("inner store holds %d blobs, want %d", got, want)
			}
			s.SetInjector(nil)
			if err := tt.do(s, id); err != nil {
				t.Fatalf("%s after removing the injector: %v", tt.kind, err)
			}
		})
	}
}

func TestReadFailsMidStream(t *testing.T) {
	ctx := context.Background()
	s := faultstore.New(newDir(t), nil)
	id, _, err := s.Put(ctx, strings.NewReader(strings.Repeat("x", 100)), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Fail the first Read at or past byte 40.
	s.SetInjector(faultstore.If(func(op faultstore.Op) bool {
		return op.Kind == faultstore.OpRead && op.Offset >= 40
	}, faultstore.Error(io.ErrUnexpectedEOF)))
	rc, err := s.Open(ctx, id, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 40)
	if _, err := io.ReadFull(rc, buf); err != nil {
		t.Fatalf("reading the first 40 bytes: %v", err)
	}
	if _, err := rc.Read(buf); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Read past byte 40 = %v, want the injected error", err)
	}
}

func TestSelectors(t *testing.T) {
	ctx := context.Background()
	fail := faultstore.Error(nil)
	tests := []struct {
		name string
		inj  faultstore.Injector
		want []bool // which of 6 Stat calls fail
	}{
		{"nth", faultstore.Nth(3, fail), []bool{false, false, true, false, false, false}},
		{"after", faultstore.After(4, fail), []bool{false, false, false, false, true, true}},
		{"on other kind", faultstore.On(fail, faultstore.OpDelete), []bool{false, false, false, false, false, false}},
		{"chain", faultstore.Chain(faultstore.Latency(0), faultstore.Nth(1, fail)), []bool{true, false, false, false, false, false}},
		{"always", faultstore.Randomly(1, 1, fail), []bool{true, true, true, true, true, true}},
		{"never", faultstore.Randomly(0, 1, fail), []bool{false, false, false, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := faultstore.New(newDir(t), nil)
			id, _, err := s.Put(ctx, strings.NewReader("x"), 0)
			if err != nil {
				t.Fatal(err)
			}
			s.SetInjector(tt.inj)
			for i, want := range tt.want {
				_, err := s.Stat(ctx, id)
				if got := err != nil; got != want {
					t.Errorf("Stat #%d failed = %v (%v), want %v", i+1, got, err, want)
				}
			}
			if s.Calls(faultstore.OpStat) != int64(len(tt.want)) {
				t.Errorf("Calls(stat) = %d, want %d", s.Calls(faultstore.OpStat), len(tt.want))
			}
		})
	}
}

// The same seed fails the same calls.
func TestRandomlyIsReplayable(t *testing.T) {
	pattern := func(seed uint64) []bool {
		inj := faultstore.Randomly(0.5, seed, faultstore.Error(nil))
		var out []bool
		for range 64 {
			out = append(out, inj.MaybeInject(context.Background(), faultstore.Op{Kind: faultstore.OpStat}) != nil)
		}
		return out
	}
	a, b := pattern(42), pattern(42)
	hits := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 42 gave different patterns at call %d", i)
		}
		if a[i] {
			hits++
		}
	}
	if hits == 0 || hits == len(a) {
		t.Fatalf("p=0.5 failed %d of %d calls", hits, len(a))
	}
}

// Latency gives up when the caller's ctx ends.
func TestLatencyHonoursContext(t *testing.T) {
	s := faultstore.New(newDir(t), faultstore.Latency(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Stat(ctx, strings.Repeat("a", 64)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stat with a cancelled ctx under latency = %v, want context.Canceled", err)
	}
}
