package workload

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/dovecot"
	"github.com/postbus/postbus/bench/load"
	"github.com/postbus/postbus/bench/postbusd"
	"github.com/postbus/postbus/bench/target"
)

// TestLeanMatchesGoIMAP loads the tiny corpus into a real postbus and a
// real Dovecot and sends each FETCH workload's command over the same
// ranges through both clients: the lean client must count exactly the
// messages go-imap decodes and read the same response bytes (up to the
// tags' lengths). Every query of every SEARCH workload goes through both
// clients too (checkLeanSearchMatchesGoIMAP). Then every FETCH and SEARCH
// workload runs through Run with each client.
func TestLeanMatchesGoIMAP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	gen, err := corpus.NewGenerator(corpus.Config{Seed: 99, Messages: leanMsgs, MaxAttachment: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("postbus", func(t *testing.T) {
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
		name, pw := tg.User(1)
		if err := srv.AddUser(ctx, name, pw); err != nil {
			t.Fatal(err)
		}
		checkLeanMatchesGoIMAP(ctx, t, tg, gen)
	})
	t.Run("dovecot", func(t *testing.T) {
		bin, err := dovecot.EnsureInstalled(ctx)
		if err != nil {
			t.Fatalf("Dovecot is the benchmark's reference server: %v", err)
		}
		srv, err := dovecot.Start(ctx, dovecot.Config{Binary: bin, PasswordScheme: "PLAIN"})
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
		}()
		tg := &target.Target{Name: "dovecot", Addr: srv.IMAPS, TLS: target.TLSImplicit, CAFile: srv.CertFile,
			ServerName: "localhost", UserPattern: "user%d", PassPattern: "pw-%d-secret", Timeout: 30 * time.Second}
		name, pw := tg.User(1)
		if err := srv.AddUser(name, pw); err != nil {
			t.Fatal(err)
		}
		checkLeanMatchesGoIMAP(ctx, t, tg, gen)
	})
}

const leanMsgs = 30

func checkLeanMatchesGoIMAP(ctx context.Context, t *testing.T, tg *target.Target, gen *corpus.Generator) {
	const msgs = leanMsgs
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := load.Load(ctx, tg, gen, load.Options{Users: 1, Conns: 2, Marker: "bench-loaded-lean"}); err != nil {
		t.Fatal(err)
	}
	opt := &Options{Users: 1, Corpus: gen, Messages: msgs, Range: 10}
	if err := opt.defaults(); err != nil {
		t.Fatal(err)
	}
	e := &env{t: tg, opt: opt, user: 1}
	s, err := openSession(e, true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	rc, err := tg.DialRaw(1, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Logout()
	if rc.Exists() != msgs || s.exists != msgs {
		t.Fatalf("EXISTS: lean %d, go-imap %d, want %d", rc.Exists(), s.exists, msgs)
	}

	specs := []struct {
		name string
		spec fetchSpec
	}{{"fetch-envelope", fetchEnvelope}, {"fetch-headers", fetchHeaders}, {"fetch-body", fetchBody}, {"fetch-bodystructure", fetchBodyStructure}}
	ranges := [][2]uint32{{1, 10}, {7, 7}, {21, 30}, {1, msgs}}
	for _, sp := range specs {
		for _, rg := range ranges {
			t.Run(fmt.Sprintf("%s/%d:%d", sp.name, rg[0], rg[1]), func(t *testing.T) {
				var set imap.NumSet
				cmd := fmt.Sprintf("FETCH %d:%d %s", rg[0], rg[1], sp.spec.items)
				if sp.spec.all {
					var uids imap.UIDSet
					uids.AddRange(1, 0)
					set, cmd = uids, "UID FETCH 1:* "+sp.spec.items
				} else {
					var seqs imap.SeqSet
					seqs.AddRange(rg[0], rg[1])
					set = seqs
				}
				read0 := s.c.BytesRead()
				var goN int64
				if err := s.c.Do(func() error {
					var err error
					goN, err = drainFetch(s.c.Fetch(set, sp.spec.opts))
					return err
				}); err != nil {
					t.Fatal(err)
				}
				goRead := s.c.BytesRead() - read0

				want := make([][]byte, len(sp.spec.want))
				for i, w := range sp.spec.want {
					want[i] = []byte(w)
				}
				read0 = rc.BytesRead()
				leanN, err := rc.Fetch([]byte(cmd), want)
				if err != nil {
					t.Fatal(err)
				}
				leanRead := rc.BytesRead() - read0
				wantN := int64(rg[1] - rg[0] + 1)
				if sp.spec.all {
					wantN = msgs
				}
				if leanN != goN || leanN != wantN {
					t.Errorf("messages: lean %d, go-imap %d, want %d", leanN, goN, wantN)
				}
				// Same responses but for the completion's tag (go-imap's
				// "T12" against the lean "R3"): a few bytes at most.
				if d := leanRead - goRead; d < -8 || d > 8 {
					t.Errorf("response bytes: lean %d, go-imap %d", leanRead, goRead)
				}
			})
		}
	}

	checkLeanSearchMatchesGoIMAP(ctx, t, tg, gen, s, rc, msgs)

	for _, sp := range specs {
		for _, cl := range []Client{ClientLean, ClientGoIMAP} {
			t.Run(fmt.Sprintf("Run/%s/%s", sp.name, cl), func(t *testing.T) {
				o := &Options{Users: 1, Concurrency: 2, Duration: 300 * time.Millisecond, MaxOps: 40,
					Corpus: gen, Messages: msgs, Range: 10, Seed: 3, Client: cl}
				res, err := Run(ctx, tg, sp.name, o)
				if err != nil {
					t.Fatal(err)
				}
				if res.Errors != 0 || res.Ops == 0 {
					t.Fatalf("%d ops, %d errors, first: %s", res.Ops, res.Errors, res.FirstError)
				}
				per := int64(10)
				switch sp.name {
				case "fetch-envelope":
					per = msgs
				case "fetch-body":
					per = 1
				}
				if res.Messages != res.Ops*per {
					t.Errorf("%d messages in %d ops, want %d each", res.Messages, res.Ops, per)
				}
			})
		}
	}
}

func TestParseClient(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Client
		ok   bool
	}{{"lean", ClientLean, true}, {"goimap", ClientGoIMAP, true}, {"", "", false}, {"go-imap", "", false}, {"LEAN", "", false}} {
		got, err := ParseClient(c.in)
		if got != c.want || (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrWorkload)) {
			t.Errorf("ParseClient(%q) = %q, %v", c.in, got, err)
		}
	}
	gen, _ := corpus.NewGenerator(corpus.Config{Seed: 1, Messages: 3})
	o := &Options{Users: 1, Corpus: gen}
	if err := o.defaults(); err != nil || o.Client != ClientLean {
		t.Errorf("default client %q, %v; want lean", o.Client, err)
	}
	o = &Options{Users: 1, Corpus: gen, Client: "curl"}
	if err := o.defaults(); !errors.Is(err, ErrWorkload) {
		t.Errorf("client curl: %v, want ErrWorkload", err)
	}
}
