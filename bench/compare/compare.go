package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/dovecot"
	"github.com/postbus/postbus/bench/load"
	"github.com/postbus/postbus/bench/postbusd"
	"github.com/postbus/postbus/bench/report"
	"github.com/postbus/postbus/bench/target"
	"github.com/postbus/postbus/bench/workload"
)

// ErrCompare is the sentinel wrapped by every error of this package.
var ErrCompare = errors.New("compare")

// Options configure a comparison. Zero fields take the defaults noted.
type Options struct {
	// PostbusBinary is the postbus executable (required: the CLI passes
	// its own os.Executable()).
	PostbusBinary string
	// Users × Messages is the corpus (default 2 × 1000), from Seed;
	// MaxAttachment, LargeMin and LargeRate shape its attachment sizes
	// (see corpus.Config; zero: the corpus defaults).
	Users, Messages         int
	Seed                    uint64
	MaxAttachment, LargeMin int
	LargeRate               float64
	// Workloads to run, in order (default: all).
	Workloads []string
	// Duration and Concurrency of each workload run (10 s, 4); MaxOps
	// bounds the operations of one run (workload default). Warmup runs
	// each workload unmeasured first (default Duration/5; negative: none).
	Duration, Warmup time.Duration
	Concurrency      int
	MaxOps           int64
	// LoadConns is the number of parallel APPEND connections (4).
	LoadConns int
	// LoadBatch, above 1, loads with MULTIAPPEND batches (load.Options.Batch).
	LoadBatch int
	// DovecotFormat is "maildir" (default) or "sdbox".
	DovecotFormat string
	// Client is the FETCH workloads' client (workload.ClientLean).
	Client workload.Client
	// Progress receives load progress and one line per workload run.
	Progress io.Writer
}

// Outcome is the paired results, in workload order.
type Outcome struct {
	Options     Options // as run, defaults filled in
	Comparisons []report.Comparison
	Results     []workload.Result // postbus and dovecot, in the order run
}

func (o *Options) defaults() error {
	if o.PostbusBinary == "" {
		return fmt.Errorf("%w: no postbus binary", ErrCompare)
	}
	if o.Users <= 0 {
		o.Users = 2
	}
	if o.Messages <= 0 {
		o.Messages = 1000
	}
	if len(o.Workloads) == 0 {
		o.Workloads = workload.Names()
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	switch {
	case o.Warmup == 0:
		o.Warmup = o.Duration / 5
	case o.Warmup < 0:
		o.Warmup = 0
	}
	if o.LoadConns <= 0 {
		o.LoadConns = 4
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

// Run performs the comparison; both servers are stopped and their data
// removed before it returns.
func Run(ctx context.Context, opt Options) (Outcome, error) {
	if err := opt.defaults(); err != nil {
		return Outcome{}, err
	}
	gen, err := corpus.NewGenerator(corpus.Config{Seed: opt.Seed, Messages: opt.Messages,
		MaxAttachment: opt.MaxAttachment, LargeMin: opt.LargeMin, LargeRate: opt.LargeRate})
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
	}
	dovecotBin, err := dovecot.EnsureInstalled(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
	}
	work, err := os.MkdirTemp("", "postbus-compare-")
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
	}
	defer os.RemoveAll(work)
	// Dovecot's unprivileged processes must traverse into its directory.
	if err := os.Chmod(work, 0o755); err != nil {
		return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
	}

	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pb, err := postbusd.Start(startCtx, opt.PostbusBinary, filepath.Join(work, "postbus"))
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
	}
	defer pb.Stop()
	dcDir := filepath.Join(work, "dovecot")
	if err := os.Mkdir(dcDir, 0o755); err != nil {
		return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
	}
	dc, err := dovecot.Start(startCtx, dovecot.Config{Binary: dovecotBin, Dir: dcDir, MailFormat: opt.DovecotFormat})
	if err != nil {
		return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
	}
	defer dc.Stop()

	targets := []*target.Target{
		{Name: "postbus", Addr: pb.IMAPS, CAFile: pb.Cert, PID: pb.Pid()},
		{Name: "dovecot", Addr: dc.IMAPS, CAFile: dc.CertFile, PID: dc.Pid()},
	}
	for _, t := range targets {
		t.TLS, t.ServerName = target.TLSImplicit, "localhost"
		t.UserPattern, t.PassPattern = "benchuser%d", "bench-%d-password"
		if err := t.Validate(); err != nil {
			return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
		}
	}
	for u := 1; u <= opt.Users; u++ {
		name, pw := targets[0].User(u)
		if err := pb.AddUser(startCtx, name, pw); err != nil {
			return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
		}
		if err := dc.AddUser(name, pw); err != nil {
			return Outcome{}, fmt.Errorf("%w: %w", ErrCompare, err)
		}
	}
	marker := "bench-loaded-" + gen.ID()
	for _, t := range targets {
		st, err := load.Load(ctx, t, gen, load.Options{Users: opt.Users, Conns: opt.LoadConns, Batch: opt.LoadBatch, Marker: marker, Progress: opt.Progress})
		if err != nil {
			return Outcome{}, fmt.Errorf("%w: loading %s: %w", ErrCompare, t.Name, err)
		}
		fmt.Fprintf(opt.Progress, "loaded %s: %d messages, %.1f MB in %s\n", t.Name, st.Messages, float64(st.Bytes)/1e6, st.Elapsed.Round(time.Millisecond))
	}

	out := Outcome{Options: opt}
	// One Options for every run: the same seed on both servers, and the
	// expected hit counts are computed once.
	wopt := &workload.Options{Users: opt.Users, Concurrency: opt.Concurrency, Duration: opt.Duration, Warmup: opt.Warmup,
		MaxOps: opt.MaxOps, Corpus: gen, Messages: opt.Messages, CheckHits: true, Seed: opt.Seed, Client: opt.Client}
	for i, wl := range opt.Workloads {
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		var pair [2]workload.Result
		for _, k := range order {
			res, err := workload.Run(ctx, targets[k], wl, wopt)
			if err != nil {
				return out, fmt.Errorf("%w: %w", ErrCompare, err)
			}
			fmt.Fprintf(opt.Progress, "%-20s %-8s %9.1f ops/s  p99 %-8s errors %d\n", wl, res.Target, res.OpsPerSec, report.Dur(res.P99), res.Errors)
			pair[k] = res
			out.Results = append(out.Results, res)
		}
		out.Comparisons = append(out.Comparisons, report.NewComparison(pair[0], pair[1]))
	}
	if err := pb.Stop(); err != nil {
		return out, fmt.Errorf("%w: postbus did not stop cleanly: %w", ErrCompare, err)
	}
	return out, nil
}
