package instrumented_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/blobstore/blobstoretest"
	"github.com/postbus/postbus/blobstore/faultstore"
	"github.com/postbus/postbus/blobstore/instrumented"
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

// The decorator is transparent.
func TestConformance(t *testing.T) {
	m := instrumented.NewMetrics(prometheus.NewRegistry())
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store { return instrumented.New(newDir(t), m) })
}

// scrape returns the value of one sample of the registry, or 0 when the
// series does not exist; labels are name=value pairs.
func scrape(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue metric
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
	}
	return 0
}

func TestCounts(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	fs := faultstore.New(newDir(t), nil)
	s := instrumented.New(fs, instrumented.NewMetrics(reg))

	body := "Subject: hi\r\n\r\nhello world\r\n"
	id, n, err := s.Put(ctx, strings.NewReader(body), 0)
	if err != nil || n != int64(len(body)) {
		t.Fatalf("Put = %d, %v", n, err)
	}
	if _, _, err := s.Put(ctx, strings.NewReader(body), 4); !errors.Is(err, base.ErrTooBig) {
		t.Fatalf("Put over maxSize: %v, want ErrTooBig", err)
	}
	rc, err := s.Open(ctx, id, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != body {
		t.Fatalf("read %q, %v", got, err)
	}
	missing := strings.Repeat("0", 64)
	if _, err := s.Stat(ctx, missing); !errors.Is(err, base.ErrNoSuchBlob) {
		t.Fatalf("Stat missing: %v", err)
	}
	if _, err := s.Open(ctx, "nothex", 0, -1); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("Open bad id: %v", err)
	}
	if err := s.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := s.List(ctx, func(blobstore.ID, int64, time.Time) bool { return true }); err != nil {
		t.Fatal(err)
	}

	// Faults: a store error, a failed Read, a cancelled Stat.
	boom := errors.New("disk on fire")
	fs.SetInjector(faultstore.On(faultstore.Error(boom), faultstore.OpPut))
	if _, _, err := s.Put(ctx, strings.NewReader("x"), 0); !errors.Is(err, boom) {
		t.Fatalf("Put with fault: %v", err)
	}
	fs.SetInjector(nil)
	id2, _, err := s.Put(ctx, strings.NewReader("second"), 0)
	if err != nil {
		t.Fatal(err)
	}
	fs.SetInjector(faultstore.On(faultstore.Error(boom), faultstore.OpRead))
	rc, err = s.Open(ctx, id2, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); !errors.Is(err, boom) {
		t.Fatalf("Read with fault: %v", err)
	}
	rc.Close()
	fs.SetInjector(nil)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	fs.SetInjector(faultstore.On(faultstore.Error(context.Canceled), faultstore.OpStat))
	if _, err := s.Stat(cctx, id2); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Stat: %v", err)
	}

	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"postbus_blob_operations_total", []string{"op", "put", "result", "ok"}, 2},
		{"postbus_blob_operations_total", []string{"op", "put", "result", "too_big"}, 1},
		{"postbus_blob_operations_total", []string{"op", "put", "result", "error"}, 1},
		{"postbus_blob_operations_total", []string{"op", "open", "result", "ok"}, 2},
		{"postbus_blob_operations_total", []string{"op", "open", "result", "invalid"}, 1},
		{"postbus_blob_operations_total", []string{"op", "read", "result", "error"}, 1},
		{"postbus_blob_operations_total", []string{"op", "stat", "result", "not_found"}, 1},
		{"postbus_blob_operations_total", []string{"op", "stat", "result", "canceled"}, 1},
		{"postbus_blob_operations_total", []string{"op", "delete", "result", "ok"}, 1},
		{"postbus_blob_operations_total", []string{"op", "list", "result", "ok"}, 1},
		{"postbus_blob_operation_duration_seconds", []string{"op", "put"}, 4},
		{"postbus_blob_operation_duration_seconds", []string{"op", "open"}, 3},
		{"postbus_blob_operation_duration_seconds", []string{"op", "stat"}, 2},
		{"postbus_blob_put_bytes_total", nil, float64(len(body) + len("second"))},
		{"postbus_blob_read_bytes_total", nil, float64(len(body))},
	}
	for _, tt := range tests {
		if got := scrape(t, reg, tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	// No series outside the fixed label sets.
	if n := series(t, reg, "postbus_blob_operations_total"); n != 10 {
		t.Errorf("%d operation series, want 10", n)
	}
}

// series counts the series of one metric family.
func series(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

// withCD adds a DeleteIfOlder to a store (the capability the garbage
// collector asks for).
type withCD struct {
	blobstore.Store
	calls int
}

func (w *withCD) DeleteIfOlder(ctx context.Context, id blobstore.ID, cutoff time.Time) (bool, error) {
	w.calls++
	return true, nil
}

type withGP struct{ blobstore.Store }

func (w withGP) PrepareGC(ctx context.Context) error { return errors.New("prepare failed") }

type withBoth struct {
	*withCD
	withGP
}

func (w withBoth) Put(ctx context.Context, r io.Reader, maxSize int64) (blobstore.ID, int64, error) {
	return w.withCD.Put(ctx, r, maxSize)
}
func (w withBoth) Open(ctx context.Context, id blobstore.ID, off, n int64) (io.ReadCloser, error) {
	return w.withCD.Open(ctx, id, off, n)
}
func (w withBoth) Stat(ctx context.Context, id blobstore.ID) (int64, error) {
	return w.withCD.Stat(ctx, id)
}
func (w withBoth) Delete(ctx context.Context, id blobstore.ID) error { return w.withCD.Delete(ctx, id) }
func (w withBoth) List(ctx context.Context, fn func(blobstore.ID, int64, time.Time) bool) error {
	return w.withCD.List(ctx, fn)
}

// The wrapper has exactly the optional capabilities of the wrapped store.
func TestOptionalCapabilities(t *testing.T) {
	type cd interface {
		DeleteIfOlder(context.Context, blobstore.ID, time.Time) (bool, error)
	}
	type gp interface{ PrepareGC(context.Context) error }
	plain := newDir(t)
	fault := faultstore.New(plain, nil)
	c := &withCD{Store: fault}
	g := withGP{fault}
	tests := []struct {
		name           string
		inner          blobstore.Store
		wantCD, wantGP bool
	}{
		{"faultstore", fault, false, false},
		{"cd", c, true, false},
		{"gp", g, false, true},
		{"both", withBoth{c, g}, true, true},
	}
	for _, tt := range tests {
		reg := prometheus.NewRegistry()
		s := instrumented.New(tt.inner, instrumented.NewMetrics(reg))
		_, isCD := s.(cd)
		_, isGP := s.(gp)
		if isCD != tt.wantCD || isGP != tt.wantGP {
			t.Errorf("%s: DeleteIfOlder %v PrepareGC %v, want %v %v", tt.name, isCD, isGP, tt.wantCD, tt.wantGP)
			continue
		}
		ctx := context.Background()
		if isCD {
			before := c.calls
			if ok, err := s.(cd).DeleteIfOlder(ctx, strings.Repeat("a", 64), time.Now()); !ok || err != nil {
				t.Errorf("%s: DeleteIfOlder = %v, %v", tt.name, ok, err)
			}
			if c.calls != before+1 {
				t.Errorf("%s: inner DeleteIfOlder not called", tt.name)
			}
			if got := scrape(t, reg, "postbus_blob_operations_total", "op", "delete_if_older", "result", "ok"); got != 1 {
				t.Errorf("%s: delete_if_older ok = %v", tt.name, got)
			}
		}
		if isGP {
			if err := s.(gp).PrepareGC(ctx); err == nil {
				t.Errorf("%s: PrepareGC error lost", tt.name)
			}
			if got := scrape(t, reg, "postbus_blob_operations_total", "op", "prepare_gc", "result", "error"); got != 1 {
				t.Errorf("%s: prepare_gc error = %v", tt.name, got)
			}
		}
		// The core operations still go through.
		if _, _, err := s.Put(ctx, strings.NewReader(tt.name), 0); err != nil {
			t.Errorf("%s: Put: %v", tt.name, err)
		}
	}
}
