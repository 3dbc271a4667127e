package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/postbus/postbus/bench/compare"
	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/load"
	"github.com/postbus/postbus/bench/postbusd"
	"github.com/postbus/postbus/bench/report"
	"github.com/postbus/postbus/bench/target"
	"github.com/postbus/postbus/bench/workload"
)

const benchUsage = `postbus bench — the FETCH/SEARCH benchmark harness (see bench/RESULTS.md)

Usage:
  postbus bench load    [target flags] [corpus flags] [--conns N]
  postbus bench run     [target flags] [corpus flags] [--workloads a,b] [--duration D] [--concurrency C] [--json] [--html FILE]
                        [--client lean|goimap]
  postbus bench compare [--quick] [--json] [--users N] [--messages M] [--workloads a,b] [--duration D] [--html FILE]
                        [--concurrency C] [--warmup D] [--seed S --max-attachment B --large-min B --large-rate F]
                        [--client lean|goimap]
  postbus bench list                          list the workloads

Target flags: --addr HOST:PORT --tls implicit|starttls|none --ca FILE --insecure
              --server-name NAME --user PATTERN --pass PATTERN (%d is the user number)
              --server-pid PID (a local server: report its CPU and memory too)
Client flag:  --client lean|goimap: the FETCH and SEARCH workloads' client: lean (default; lexes the
              responses without decoding them, see bench/doc.go) or goimap (go-imap v2)
Corpus flags: --users N --messages M --seed S --max-attachment BYTES
              --large-min BYTES --large-rate F (the long tail of attachment sizes), or --corpus PATH
              (an mbox file or a Maildir; search hit counts are then not checked)
`

// runBench implements `postbus bench`: flags here, behaviour in bench/.
func runBench(args []string) error {
	if len(args) == 0 {
		io.WriteString(os.Stderr, benchUsage)
		return usageError{"bench: want load, run, compare or list"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "load":
		return benchLoad(ctx, args[1:])
	case "run":
		return benchRun(ctx, args[1:])
	case "compare":
		return benchCompare(ctx, args[1:])
	case "list":
		for _, n := range workload.Names() {
			fmt.Printf("%-20s %s\n", n, workload.Doc(n))
		}
		return nil
	case "help", "-h", "--help":
		io.WriteString(os.Stdout, benchUsage)
		return nil
	}
	return usageError{fmt.Sprintf("bench: unknown subcommand %q (want load, run, compare or list)", args[0])}
}

// benchFlags are the target and corpus flags shared by load and run.
type benchFlags struct {
	t                         target.Target
	tls                       string
	users, messages, maxAttch int
	largeMin                  int
	largeRate                 float64
	seed                      uint64
	corpusPath                string
}

func (b *benchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.t.Addr, "addr", "127.0.0.1:1993", "IMAP server host:port")
	fs.StringVar(&b.tls, "tls", "implicit", "implicit, starttls or none")
	fs.StringVar(&b.t.CAFile, "ca", "", "PEM file of the server's (self-signed) certificate to trust")
	fs.BoolVar(&b.t.InsecureSkipVerify, "insecure", false, "skip TLS certificate verification")
	fs.StringVar(&b.t.ServerName, "server-name", "", "TLS server name to verify (default: host of --addr)")
	fs.StringVar(&b.t.UserPattern, "user", "user%d", "user name pattern")
	fs.StringVar(&b.t.PassPattern, "pass", "password%d", "password pattern")
	fs.StringVar(&b.t.Name, "name", "target", "target name in reports")
	fs.DurationVar(&b.t.Timeout, "timeout", time.Minute, "bound on dialing and on each command")
	fs.IntVar(&b.t.PID, "server-pid", 0, "pid of a local server: report its process tree's CPU and memory")
	fs.IntVar(&b.users, "users", 2, "number of users (user numbers start at 1)")
	fs.IntVar(&b.messages, "messages", 1000, "generated messages per mailbox")
	fs.Uint64Var(&b.seed, "seed", 1, "corpus seed")
	fs.IntVar(&b.maxAttch, "max-attachment", 0, "largest attachment in bytes (default 4 MiB)")
	fs.IntVar(&b.largeMin, "large-min", 0, "smallest attachment of the long tail in bytes (default 256 KiB)")
	fs.Float64Var(&b.largeRate, "large-rate", 0, "fraction of multipart/mixed messages with a long-tail attachment (default 0.05)")
	fs.StringVar(&b.corpusPath, "corpus", "", "mbox file or Maildir to load instead of generated mail")
}

func (b *benchFlags) resolve() (*target.Target, corpus.Source, error) {
	mode, err := target.ParseTLSMode(b.tls)
	if err != nil {
		return nil, nil, usageError{err.Error()}
	}
	b.t.TLS = mode
	if err := b.t.Validate(); err != nil {
		return nil, nil, err
	}
	if b.corpusPath != "" {
		src, err := corpus.Open(b.corpusPath)
		return &b.t, src, err
	}
	gen, err := corpus.NewGenerator(corpus.Config{Seed: b.seed, Messages: b.messages, MaxAttachment: b.maxAttch,
		LargeMin: b.largeMin, LargeRate: b.largeRate})
	return &b.t, gen, err
}

func (b *benchFlags) marker(src corpus.Source) string {
	if b.corpusPath != "" {
		return fmt.Sprintf("bench-loaded-file-n%d", src.Len())
	}
	if g, ok := src.(*corpus.Generator); ok {
		return "bench-loaded-" + g.ID()
	}
	return fmt.Sprintf("bench-loaded-s%d-n%d", b.seed, src.Len())
}

func benchLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	var b benchFlags
	b.register(fs)
	conns := fs.Int("conns", 8, "parallel APPEND connections")
	batch := fs.Int("batch", 1, "messages per APPEND (above 1: MULTIAPPEND, RFC 3502)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, src, err := b.resolve()
	if err != nil {
		return err
	}
	st, err := load.Load(ctx, t, src, load.Options{Users: b.users, Conns: *conns, Batch: *batch, Marker: b.marker(src), Progress: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d users × %d messages: %d appended (%.1f MB), %d users already loaded, in %s\n",
		b.users, src.Len(), st.Messages, float64(st.Bytes)/1e6, st.Skipped, st.Elapsed.Round(time.Millisecond))
	return nil
}

func benchRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench run", flag.ContinueOnError)
	var b benchFlags
	b.register(fs)
	list := fs.String("workloads", "all", "comma-separated workloads (see: postbus bench list)")
	dur := fs.Duration("duration", 10*time.Second, "duration of each workload")
	warmup := fs.Duration("warmup", 0, "unmeasured run of each workload before its measured duration")
	conc := fs.Int("concurrency", 4, "parallel connections per workload")
	maxOps := fs.Int64("max-ops", 1_000_000, "bound on operations per workload")
	asJSON := fs.Bool("json", false, "print full results as JSON instead of a table")
	html := fs.String("html", "", "also write an HTML report with charts to FILE")
	client := fs.String("client", string(workload.ClientLean), "client of the FETCH and SEARCH workloads: lean or goimap")
	cpuProfile := fs.String("cpuprofile", "", "write the client's CPU profile to FILE (is the client, not the server, the bottleneck?)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	names, err := workload.Parse(*list)
	if err != nil {
		return usageError{err.Error()}
	}
	cl, err := workload.ParseClient(*client)
	if err != nil {
		return usageError{err.Error()}
	}
	t, src, err := b.resolve()
	if err != nil {
		return err
	}
	opt := &workload.Options{Users: b.users, Concurrency: *conc, Duration: *dur, Warmup: *warmup, MaxOps: *maxOps,
		Corpus: src, Messages: src.Len(), CheckHits: b.corpusPath == "", Seed: b.seed, Client: cl}
	var results []workload.Result
	for _, n := range names {
		res, err := workload.Run(ctx, t, n, opt)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%-20s %9.1f ops/s  errors %d\n", n, res.OpsPerSec, res.Errors)
		results = append(results, res)
	}
	if err := writeHTML(*html, "postbus bench run: "+t.Name, results); err != nil {
		return err
	}
	if *asJSON {
		err = report.WriteJSON(os.Stdout, results)
	} else {
		err = report.WriteTable(os.Stdout, results)
	}
	if err != nil {
		return err
	}
	return runErrors(results)
}

// runErrors fails the command (after the figures are out) when any run
// had errors or wrong search answers: such figures must not pass for good.
func runErrors(results []workload.Result) error {
	var bad []string
	for _, r := range results {
		if r.Errors > 0 {
			bad = append(bad, fmt.Sprintf("%s on %s: %d errors (first: %s)", r.Workload, r.Target, r.Errors, r.FirstError))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("bench: %d run(s) had errors:\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	return nil
}

func benchCompare(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench compare", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "small corpus and short runs: finishes in under 3 minutes on 2 cores")
	asJSON := fs.Bool("json", false, `print a JSON array of {"workload","postbus","dovecot","ratio"} (ops/s) instead of tables`)
	users := fs.Int("users", 2, "users")
	messages := fs.Int("messages", 2000, "generated messages per user")
	seed := fs.Uint64("seed", 1, "corpus seed")
	maxAttch := fs.Int("max-attachment", 0, "largest attachment in bytes (default 4 MiB)")
	largeMin := fs.Int("large-min", 0, "smallest attachment of the long tail in bytes (default 256 KiB)")
	largeRate := fs.Float64("large-rate", 0, "fraction of multipart/mixed messages with a long-tail attachment (default 0.05)")
	list := fs.String("workloads", "all", "comma-separated workloads")
	dur := fs.Duration("duration", 10*time.Second, "duration of each workload on each server")
	warmup := fs.Duration("warmup", 0, "unmeasured run of each workload first (default: a fifth of --duration; negative: none)")
	conc := fs.Int("concurrency", 4, "parallel connections per workload")
	conns := fs.Int("load-conns", 4, "parallel APPEND connections while loading")
	loadBatch := fs.Int("load-batch", 1, "messages per APPEND while loading (above 1: MULTIAPPEND, for large mailboxes)")
	format := fs.String("dovecot-format", "maildir", "Dovecot mailbox format: maildir or sdbox")
	html := fs.String("html", "", "also write an HTML report with charts to FILE")
	resultsJSON := fs.String("results-json", "", "also write the full results (latencies, CDFs) as JSON to FILE")
	client := fs.String("client", string(workload.ClientLean), "client of the FETCH and SEARCH workloads: lean or goimap")
	if err := fs.Parse(args); err != nil {
		return err
	}
	names, err := workload.Parse(*list)
	if err != nil {
		return usageError{err.Error()}
	}
	cl, err := workload.ParseClient(*client)
	if err != nil {
		return usageError{err.Error()}
	}
	bin, err := postbusd.Executable()
	if err != nil {
		return err
	}
	opt := compare.Options{PostbusBinary: bin, Users: *users, Messages: *messages, Seed: *seed,
		MaxAttachment: *maxAttch, LargeMin: *largeMin, LargeRate: *largeRate, Workloads: names, Duration: *dur, Warmup: *warmup, Concurrency: *conc,
		LoadConns: *conns, LoadBatch: *loadBatch, DovecotFormat: *format, Client: cl, Progress: os.Stderr}
	if *quick {
		// Sized so that loading both servers and 11 workloads × 2 servers
		// fit in well under 3 minutes on this project's 2-core machines.
		opt.Users, opt.Messages, opt.Duration, opt.Warmup, opt.MaxAttachment = 2, 300, 2*time.Second, 500*time.Millisecond, 1<<20
	}
	out, err := compare.Run(ctx, opt)
	if err != nil {
		return err
	}
	if err := writeHTML(*html, "postbus vs Dovecot", out.Results); err != nil {
		return err
	}
	if *resultsJSON != "" {
		f, err := os.Create(*resultsJSON)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out.Results); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if *asJSON {
		err = report.WriteComparisonJSON(os.Stdout, out.Comparisons)
	} else {
		ran := out.Options
		fmt.Printf("postbus vs Dovecot: %d users × %d messages; per workload and server %s measured after %s of warm-up; concurrency %d\n",
			ran.Users, ran.Messages, ran.Duration, ran.Warmup, ran.Concurrency)
		err = report.WriteComparison(os.Stdout, out.Comparisons)
	}
	if err != nil {
		return err
	}
	return runErrors(out.Results)
}

func writeHTML(path, title string, results []workload.Result) error {
	if path == "" {
		return nil
	}
	var sb strings.Builder
	if err := report.WriteHTML(&sb, title, results); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

// startCPUProfile profiles this process into file until stop is called.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
