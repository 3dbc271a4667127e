package workload

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/hist"
	"github.com/postbus/postbus/bench/procstat"
	"github.com/postbus/postbus/bench/target"
)

// Options configure a run. Zero fields take the defaults noted.
type Options struct {
	// Users FirstUser … FirstUser+Users-1 hold the loaded corpus (first: 1).
	// Worker w logs in as user FirstUser + w mod Users.
	Users, FirstUser int
	// Concurrency is the number of workers, each with its own connection (4).
	Concurrency int
	// Duration bounds the measured phase (10 s); MaxOps bounds the number
	// of measured operations over all workers (1,000,000). Whichever comes
	// first. Warmup runs operations before it without measuring them (0).
	Duration, Warmup time.Duration
	MaxOps           int64
	// Mailbox holds the loaded corpus (INBOX); AppendMailbox receives the
	// append and mixed workloads' messages ("bench-append").
	Mailbox, AppendMailbox string
	// Corpus supplies append bodies; Messages is how many it loaded per
	// mailbox (ranges and expected counts depend on it).
	Corpus   corpus.Source
	Messages int
	// Range is the page size of fetch-headers and fetch-bodystructure (50).
	Range int
	// CheckHits compares search hit counts with the generator's; set it
	// only when Corpus is a *corpus.Generator (Run does so by default).
	CheckHits bool
	// Seed makes the workers' random choices reproducible.
	Seed uint64
	// Client is the IMAP client of the FETCH and SEARCH workloads
	// (ClientLean); the other workloads always use go-imap.
	Client Client

	expectMu    sync.Mutex
	expectCache map[string]int
}

func (o *Options) defaults() error {
	if o.Users <= 0 {
		return fmt.Errorf("%w: want at least one user", ErrWorkload)
	}
	if o.FirstUser == 0 {
		o.FirstUser = 1
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.MaxOps <= 0 {
		o.MaxOps = 1_000_000
	}
	if o.Mailbox == "" {
		o.Mailbox = "INBOX"
	}
	if o.AppendMailbox == "" {
		o.AppendMailbox = "bench-append"
	}
	if o.Corpus == nil || o.Corpus.Len() == 0 {
		return fmt.Errorf("%w: no corpus", ErrWorkload)
	}
	if o.Messages <= 0 {
		o.Messages = o.Corpus.Len()
	}
	if o.Range <= 0 {
		o.Range = 50
	}
	if _, ok := o.Corpus.(*corpus.Generator); !ok {
		o.CheckHits = false
	}
	if o.Client == "" {
		o.Client = ClientLean
	}
	if _, err := ParseClient(string(o.Client)); err != nil {
		return err
	}
	return nil
}

// Client names the IMAP client of the FETCH and SEARCH workloads.
type Client string

const (
	// ClientLean sends FETCH and SEARCH commands and lexes the responses
	// with target.RawConn: it counts and checks FETCH responses and
	// counts SEARCH hits without decoding them, so the client's CPU stays
	// far below the servers'.
	ClientLean Client = "lean"
	// ClientGoIMAP decodes every response with go-imap v2's imapclient,
	// as a real client would (and as the first published figures did).
	ClientGoIMAP Client = "goimap"
)

// ParseClient accepts lean or goimap.
func ParseClient(s string) (Client, error) {
	switch c := Client(s); c {
	case ClientLean, ClientGoIMAP:
		return c, nil
	}
	return "", fmt.Errorf("%w: client %q (want lean or goimap)", ErrWorkload, s)
}

// expect memoises Generator.Expect, which scans the whole corpus metadata.
func (o *Options) expect(g *corpus.Generator, q corpus.Query) int {
	o.expectMu.Lock()
	defer o.expectMu.Unlock()
	key := q.String()
	if n, ok := o.expectCache[key]; ok {
		return n
	}
	if o.expectCache == nil {
		o.expectCache = map[string]int{}
	}
	n := g.Expect(q, o.Messages)
	o.expectCache[key] = n
	return n
}

// Result is one workload's measurement against one target.
type Result struct {
	Workload    string        `json:"workload"`
	Target      string        `json:"target"`
	Concurrency int           `json:"concurrency"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	Ops         int64         `json:"ops"`
	Messages    int64         `json:"messages"`
	Bytes       int64         `json:"bytes"`
	Errors      int64         `json:"errors"`
	Mismatches  int64         `json:"mismatches"` // searches with a wrong hit count (counted in Errors too)
	FirstError  string        `json:"first_error,omitempty"`
	OpsPerSec   float64       `json:"ops_per_sec"`
	MsgsPerSec  float64       `json:"messages_per_sec"`
	BytesPerSec float64       `json:"bytes_per_sec"`
	P50         time.Duration `json:"p50_ns"`
	P90         time.Duration `json:"p90_ns"`
	P99         time.Duration `json:"p99_ns"`
	Max         time.Duration `json:"max_ns"`
	// ClientCPU is the user+system CPU time of this process during the
	// run; ClientCPUPct is it over wall time (100 = one core busy).
	ClientCPU    time.Duration `json:"client_cpu_ns"`
	ClientCPUPct float64       `json:"client_cpu_pct"`
	ClientCores  int           `json:"client_cores"`
	// ServerCPU / ServerCPUPct / ServerPeakRSS are the server process
	// tree's CPU time, CPU over wall time, and highest resident memory
	// during the run, when the target has a local PID (else zero).
	ServerCPU     time.Duration `json:"server_cpu_ns,omitempty"`
	ServerCPUPct  float64       `json:"server_cpu_pct,omitempty"`
	ServerPeakRSS int64         `json:"server_peak_rss_bytes,omitempty"`
	// ServerStartRSS is the RSS before the run (and its warm-up): memory
	// kept from before (the load, earlier runs) that the peak includes.
	ServerStartRSS int64        `json:"server_start_rss_bytes,omitempty"`
	CDF            []hist.Point `json:"cdf,omitempty"`
}

// Run drives workload name against t and measures it.
func Run(ctx context.Context, t *target.Target, name string, opt *Options) (Result, error) {
	d, ok := registry[name]
	if !ok {
		return Result{}, fmt.Errorf("%w: unknown workload %q", ErrWorkload, name)
	}
	if err := opt.defaults(); err != nil {
		return Result{}, err
	}
	gen, _ := opt.Corpus.(*corpus.Generator)
	if gen == nil {
		// Queries need a generator only for their shape and dates.
		gen, _ = corpus.NewGenerator(corpus.Config{Messages: opt.Messages})
	}
	envs := make([]*env, opt.Concurrency)
	workers := make([]worker, opt.Concurrency)
	var setupErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		envs[w] = &env{t: t, opt: opt, gen: gen, user: opt.FirstUser + w%opt.Users}
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk, err := d.new(envs[w])
			mu.Lock()
			defer mu.Unlock()
			if err != nil && setupErr == nil {
				setupErr = err
			}
			workers[w] = wk
		}()
	}
	wg.Wait()
	defer func() {
		for _, wk := range workers {
			if wk != nil {
				wk.close()
			}
		}
	}()
	if setupErr != nil {
		return Result{}, fmt.Errorf("%w: %s on %s: setup: %w", ErrWorkload, name, t.Name, setupErr)
	}

	var (
		issued, okOps               atomic.Int64
		msgs, bytes, errs, mismatch atomic.Int64
		firstErr                    atomic.Value
	)
	var server0 procstat.Sample
	if t.PID != 0 {
		s, err := procstat.Tree(t.PID)
		if err != nil {
			return Result{}, fmt.Errorf("%w: %s: %w", ErrWorkload, t.Name, err)
		}
		server0 = s
	}
	hists := make([]*hist.Histogram, len(workers))
	// Operations that start during the warm-up run but are not measured:
	// first touches (a cold cache, Dovecot building its index cache) would
	// otherwise weigh on short runs.
	begin := time.Now()
	start := begin.Add(opt.Warmup)
	deadline := start.Add(opt.Duration)
	for w := range workers {
		hists[w] = hist.New()
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(opt.Seed, uint64(w)))
			consecutive := 0
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				measured := !t0.Before(start)
				if measured && issued.Add(1) > opt.MaxOps {
					return
				}
				res, err := workers[w].op(r)
				if measured {
					hists[w].Record(time.Since(t0))
					msgs.Add(res.msgs)
					bytes.Add(res.bytes)
					if res.mismatch {
						mismatch.Add(1)
					}
				}
				if err == nil {
					if measured {
						okOps.Add(1)
					}
					consecutive = 0
					continue
				}
				// Errors count during the warm-up too: they are errors.
				errs.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				if res.mismatch {
					continue // a wrong answer, but the connection is fine
				}
				// The connection may be dead: start over with a new worker,
				// and give up after repeated failures.
				if consecutive++; consecutive >= 5 {
					return
				}
				workers[w].close()
				wk, err := d.new(envs[w])
				if err != nil {
					errs.Add(1)
					workers[w] = nil
					return
				}
				workers[w] = wk
			}
		}()
	}
	select {
	case <-time.After(time.Until(start)):
	case <-ctx.Done():
	}
	var mon *procstat.Monitor
	if t.PID != 0 {
		// Checked before the run; if the server died since, the run's
		// errors say so and the server figures stay zero.
		mon, _ = procstat.Start(t.PID, 100*time.Millisecond)
	}
	cpu0 := cpuTime()
	wg.Wait()
	elapsed := max(time.Since(start), time.Microsecond)
	cpu := cpuTime() - cpu0
	var server procstat.Usage
	if mon != nil {
		// A failed sample (the server exited) leaves zeros: the run's own
		// errors say what happened.
		server, _ = mon.Stop()
	}

	all := hist.New()
	for _, h := range hists {
		all.Merge(h)
	}
	sec := elapsed.Seconds()
	res := Result{
		Workload: name, Target: t.Name, Concurrency: opt.Concurrency, Elapsed: elapsed,
		Ops: okOps.Load(), Messages: msgs.Load(), Bytes: bytes.Load(),
		Errors: errs.Load(), Mismatches: mismatch.Load(),
		P50: all.Quantile(0.5), P90: all.Quantile(0.9), P99: all.Quantile(0.99), Max: all.Max(),
		ClientCPU: cpu, ClientCPUPct: 100 * cpu.Seconds() / sec, ClientCores: runtime.NumCPU(),
		CDF:       all.CDF(),
		ServerCPU: server.CPU, ServerCPUPct: 100 * server.CPU.Seconds() / sec, ServerPeakRSS: server.PeakRSS,
		ServerStartRSS: server0.RSS,
	}
	res.OpsPerSec = float64(res.Ops) / sec
	res.MsgsPerSec = float64(res.Messages) / sec
	res.BytesPerSec = float64(res.Bytes) / sec
	if v := firstErr.Load(); v != nil {
		res.FirstError = v.(string)
	}
	return res, ctx.Err()
}

// cpuTime is this process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
