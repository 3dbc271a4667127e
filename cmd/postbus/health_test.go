package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthEndpoints(t *testing.T) {
	var started flagCheck
	var depErr error
	dep := namedCheck("metadata", func(context.Context) error { return depErr })
	h, err := listenHealth("127.0.0.1:0", namedCheck("listeners", started.check), dep)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	base := "http://" + h.Addr()

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "listeners: not started yet") {
		t.Fatalf("/readyz before start = %d %q", code, body)
	}
	started.set()
	if code, body := get(t, base+"/readyz"); code != 200 || body != "ok\n" {
		t.Fatalf("/readyz after start = %d %q", code, body)
	}
	depErr = errors.New("connection refused\nsecond line")
	if code, body := get(t, base+"/readyz"); code != 503 || body != "metadata: connection refused second line\n" {
		t.Fatalf("/readyz with a failing dependency = %d %q", code, body)
	}
	depErr = nil
	h.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "m 1\n") }))
	if code, body := get(t, base+"/metrics"); code != 200 || body != "m 1\n" {
		t.Fatalf("/metrics = %d %q", code, body)
	}
	if code, _ := get(t, base+"/nothing"); code != 404 {
		t.Fatalf("/nothing = %d", code)
	}
	// Profiles are served for operators; the command line (which may
	// carry secrets) is not.
	if code, body := get(t, base+"/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("/debug/pprof/goroutine = %d %.80q", code, body)
	}
	if code, _ := get(t, base+"/debug/pprof/cmdline"); code != 404 {
		t.Fatalf("/debug/pprof/cmdline = %d, want 404", code)
	}
	resp, err := http.Post(base+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /healthz = %d", resp.StatusCode)
	}
	h.Drain()
	if code, body := get(t, base+"/readyz"); code != 503 || body != "shutting down\n" {
		t.Fatalf("/readyz draining = %d %q", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz draining = %d", code)
	}
	h.Stop()
	h.Stop() // idempotent
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after Stop")
	}
}

// A check that hangs is cut off by its timeout instead of hanging /readyz.
func TestHealthCheckTimeout(t *testing.T) {
	h, err := listenHealth("127.0.0.1:0", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	if code, body := get(t, "http://"+h.Addr()+"/readyz"); code != 503 || !strings.Contains(body, "deadline exceeded") {
		t.Fatalf("/readyz = %d %q", code, body)
	}
}

func TestStartHealth(t *testing.T) {
	stop, err := startHealth("")
	if err != nil {
		t.Fatal(err)
	}
	stop() // off: a no-op

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := startHealth(l.Addr().String()); err == nil {
		t.Fatal("startHealth on a busy port succeeded")
	}
}

// fakeConn answers every unary call with a fixed error.
type fakeConn struct{ err error }

func (f fakeConn) Invoke(context.Context, string, any, any, ...grpc.CallOption) error { return f.err }
func (f fakeConn) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, f.err
}

func TestMetadataAnswers(t *testing.T) {
	tests := []struct {
		err   error
		ready bool
	}{
		{nil, true},
		{status.Error(codes.NotFound, "no such user"), true},
		{status.Error(codes.InvalidArgument, "empty user"), true},
		{status.Error(codes.Unavailable, "connection refused"), false},
		{status.Error(codes.DeadlineExceeded, "slow"), false},
	}
	for _, tc := range tests {
		err := metadataAnswers(fakeConn{tc.err})(context.Background())
		if (err == nil) != tc.ready {
			t.Errorf("RPC error %v: check = %v, want ready=%v", tc.err, err, tc.ready)
		}
	}
}
