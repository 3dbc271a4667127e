package workload

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/load"
	"github.com/postbus/postbus/bench/postbusd"
	"github.com/postbus/postbus/bench/postbusd/postbusdtest"
	"github.com/postbus/postbus/bench/target"
)

var postbusBin string

func TestMain(m *testing.M) { postbusdtest.Main(m, &postbusBin) }

// TestEveryWorkloadAgainstPostbus loads a tiny corpus into a real `postbus
// serve` and runs every workload briefly: each must complete operations
// with no error and, for searches, exactly the expected hit counts.
func TestEveryWorkloadAgainstPostbus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := postbusd.Start(ctx, postbusBin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop: %v\n%s", err, srv.Stderr())
		}
	}()
	tg := &target.Target{Name: "postbus", Addr: srv.IMAPS, TLS: target.TLSImplicit, CAFile: srv.Cert,
		ServerName: "localhost", UserPattern: "user%d", PassPattern: "pw-%d-secret", Timeout: 30 * time.Second}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	const users, msgs = 2, 30
	for u := 1; u <= users; u++ {
		name, pw := tg.User(u)
		if err := srv.AddUser(ctx, name, pw); err != nil {
			t.Fatal(err)
		}
	}
	gen, err := corpus.NewGenerator(corpus.Config{Seed: 99, Messages: msgs, MaxAttachment: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load.Load(ctx, tg, gen, load.Options{Users: users, Conns: 4, Marker: "bench-loaded-e2e"}); err != nil {
		t.Fatal(err)
	}
	opt := &Options{Users: users, Concurrency: 2, Duration: 400 * time.Millisecond, Warmup: 100 * time.Millisecond, MaxOps: 400,
		Corpus: gen, Messages: msgs, Range: 10, CheckHits: true, Seed: 1}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			res, err := Run(ctx, tg, name, opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.Mismatches != 0 {
				t.Fatalf("%d errors (%d wrong hit counts), first: %s", res.Errors, res.Mismatches, res.FirstError)
			}
			if res.Ops <= 0 || res.OpsPerSec <= 0 || res.Bytes <= 0 {
				t.Fatalf("no work done: %+v", res)
			}
			if res.P50 <= 0 || res.P50 > res.P99 || res.P99 > res.Max {
				t.Fatalf("latency quantiles out of order: p50 %v p99 %v max %v", res.P50, res.P99, res.Max)
			}
			if res.ClientCores <= 0 || len(res.CDF) == 0 {
				t.Fatalf("client CPU / CDF missing: %+v", res)
			}
			switch name {
			case "fetch-envelope":
				if res.Messages != res.Ops*msgs {
					t.Errorf("fetched %d messages in %d ops, want %d each", res.Messages, res.Ops, msgs)
				}
			case "fetch-headers", "fetch-bodystructure":
				if res.Messages != res.Ops*10 {
					t.Errorf("fetched %d messages in %d ops, want 10 each", res.Messages, res.Ops)
				}
			case "fetch-body", "append":
				if res.Messages != res.Ops {
					t.Errorf("%d messages in %d ops, want one each", res.Messages, res.Ops)
				}
			case "select":
				if res.Messages != res.Ops*msgs {
					t.Errorf("SELECT saw %d messages in %d ops, want %d each", res.Messages, res.Ops, msgs)
				}
			case "search-header", "search-body", "search-flags":
				if res.Messages == 0 {
					t.Errorf("searches matched nothing")
				}
			}
		})
	}
	// Every query of every family was sent with a checked expectation.
	for _, kind := range []corpus.QueryKind{corpus.HeaderQuery, corpus.BodyQuery, corpus.FlagQuery} {
		for _, q := range gen.Queries(kind, msgs) {
			if _, ok := opt.expectCache[q.String()]; !ok {
				t.Errorf("query %s never got an expectation", q)
			}
		}
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	tg := &target.Target{Name: "nowhere", Addr: "127.0.0.1:1", UserPattern: "u%d", Timeout: time.Second}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	gen, _ := corpus.NewGenerator(corpus.Config{Seed: 1, Messages: 3})
	cases := []struct {
		name, workload string
		opt            *Options
	}{
		{"unknown workload", "fetch-everything", &Options{Users: 1, Corpus: gen}},
		{"no users", "select", &Options{Corpus: gen}},
		{"no corpus", "select", &Options{Users: 1}},
		{"server down", "select", &Options{Users: 1, Corpus: gen}},
	}
	for _, c := range cases {
		if _, err := Run(context.Background(), tg, c.workload, c.opt); !errors.Is(err, ErrWorkload) {
			t.Errorf("%s: %v, want ErrWorkload", c.name, err)
		}
	}
	if _, err := Parse("select,nope"); !errors.Is(err, ErrWorkload) {
		t.Errorf("Parse with unknown name: %v", err)
	}
	if got, err := Parse("all"); err != nil || len(got) != len(Names()) {
		t.Errorf("Parse(all) = %v %v", got, err)
	}
}
