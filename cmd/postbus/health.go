package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/postbus/postbus/proto/metadatapb"
)

// The health endpoints every role serves on --http-addr (off when empty):
//
//	GET /healthz  200 "ok" while the process runs (liveness)
//	GET /readyz   200 "ok" when every readiness check passes, else 503 with
//	              one line per failing check (readiness: send traffic here)
//
// /metrics is added to the same server with Handle (metrics.go), and Go's
// profiles are under /debug/pprof/ (registerPprof).

// readinessCheck answers whether one dependency of a role is usable; nil
// means ready. It must return promptly once ctx is done (/readyz gives each
// check healthCheckTimeout).
type readinessCheck func(ctx context.Context) error

// healthCheckTimeout bounds one readiness check.
const healthCheckTimeout = 2 * time.Second

// namedCheck prefixes a check's errors with name, so /readyz says which
// dependency is missing.
func namedCheck(name string, f func(ctx context.Context) error) readinessCheck {
	return func(ctx context.Context) error {
		if err := f(ctx); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
}

// registerHTTPAddr registers --http-addr on fs.
func registerHTTPAddr(fs *flag.FlagSet) *string {
	return fs.String("http-addr", "", "HTTP address for /healthz, /readyz and /metrics, HOST:PORT (empty: off)")
}

// healthServer is the HTTP server of /healthz, /readyz (and what is added
// with Handle).
type healthServer struct {
	l        net.Listener
	srv      *http.Server
	mux      *http.ServeMux
	checks   []readinessCheck
	draining atomic.Bool
	stopOnce sync.Once
}

// startHealth serves the health endpoints on addr until stop is called.
// An empty addr serves nothing and returns a no-op stop.
func startHealth(addr string, checks ...readinessCheck) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	h, err := listenHealth(addr, checks...)
	if err != nil {
		return nil, err
	}
	return h.Stop, nil
}

// listenHealth is startHealth for callers that need the bound address (a
// port 0 in tests) or to add handlers.
func listenHealth(addr string, checks ...readinessCheck) (*healthServer, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("health listener: %w", err)
	}
	h := &healthServer{l: l, mux: http.NewServeMux(), checks: checks}
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	h.mux.HandleFunc("GET /readyz", h.readyz)
	registerPprof(h.mux)
	h.srv = &http.Server{Handler: h.mux, ReadHeaderTimeout: 5 * time.Second}
	go h.srv.Serve(l)
	return h, nil
}

// registerPprof serves Go's profiles under /debug/pprof/ on the health
// port, so that an operator can profile a live role (`go tool pprof
// http://HOST:PORT/debug/pprof/profile?seconds=20`) without restarting it.
// /debug/pprof/cmdline is left out on purpose: the command line may carry
// secrets (an S3 secret key given as a flag).
func registerPprof(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/{$}", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	for _, name := range []string{"heap", "allocs", "goroutine", "block", "mutex", "threadcreate"} {
		mux.Handle("GET /debug/pprof/"+name, pprof.Handler(name))
	}
}

// Addr is the bound address.
func (h *healthServer) Addr() string { return h.l.Addr().String() }

// Handle adds an endpoint (for /metrics).
func (h *healthServer) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

// Drain makes /readyz answer 503 from now on, so that load balancers stop
// sending new clients before the role shuts down. Nil-safe (no server).
func (h *healthServer) Drain() {
	if h != nil {
		h.draining.Store(true)
	}
}

// Stop closes the server; in-flight requests get a second to finish.
// Nil-safe and idempotent.
func (h *healthServer) Stop() {
	if h == nil {
		return
	}
	h.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := h.srv.Shutdown(ctx); err != nil {
			h.srv.Close()
		}
	})
}

func (h *healthServer) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if h.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "shutting down")
		return
	}
	errs := make([]error, len(h.checks))
	var wg sync.WaitGroup
	for i, check := range h.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), healthCheckTimeout)
			defer cancel()
			errs[i] = check(ctx)
		})
	}
	wg.Wait()
	var failed []string
	for _, err := range errs {
		if err != nil {
			failed = append(failed, strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
	if len(failed) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(failed, "\n"))
		return
	}
	fmt.Fprintln(w, "ok")
}

// startServeHealth starts `serve`'s health server, or returns nil when
// addr is empty. It is called once the IMAP listeners are bound, so
// readiness is the metadata node answering through cc.
func startServeHealth(addr string, cc grpc.ClientConnInterface) (*healthServer, error) {
	if addr == "" {
		return nil, nil
	}
	return listenHealth(addr, namedCheck("metadata", metadataAnswers(cc)))
}

// errNotReady is what a check returns before its role finished starting.
var errNotReady = errors.New("not started yet")

// flagCheck is ready once set has been called: for "listeners bound" and
// other start-up milestones.
type flagCheck struct{ ok atomic.Bool }

func (f *flagCheck) set() { f.ok.Store(true) }

func (f *flagCheck) check(context.Context) error {
	if !f.ok.Load() {
		return errNotReady
	}
	return nil
}

// metadataAnswers is ready when the metadata service on cc answers a
// request, whatever it answers: a probe for a user that cannot exist costs
// one key lookup and proves the node's store and gRPC server are up.
func metadataAnswers(cc grpc.ClientConnInterface) func(ctx context.Context) error {
	client := metadatapb.NewMetadataClient(cc)
	return func(ctx context.Context) error {
		_, err := client.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: "", Name: "INBOX"})
		switch status.Code(err) {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Internal, codes.Unknown:
			return err
		}
		return nil
	}
}
