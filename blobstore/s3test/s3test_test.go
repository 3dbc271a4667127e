package s3test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartProcessStops(t *testing.T) {
	cfg, stop, err := StartProcess(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", cfg.Endpoint, 5*time.Second)
	if err != nil {
		stop()
		t.Fatalf("server not listening on %s: %v", cfg.Endpoint, err)
	}
	conn.Close()
	if cfg.Bucket == "" || cfg.AccessKey == "" || cfg.SecretKey == "" || !cfg.PathStyle {
		t.Errorf("incomplete config %+v", cfg)
	}
	stop()
	stop() // idempotent
	if conn, err := net.DialTimeout("tcp", cfg.Endpoint, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still answers after stop", cfg.Endpoint)
	}
}

func TestStartProcessMissingDir(t *testing.T) {
	_, stop, err := StartProcess(filepath.Join(t.TempDir(), "missing"))
	if err == nil {
		stop()
		t.Fatal("StartProcess on a missing directory succeeded")
	}
}

func TestFindOrInstallHonoursEnv(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "no-such-binary"))
	if _, err := findOrInstall(); err == nil || !strings.Contains(err.Error(), EnvBinary) {
		t.Fatalf("findOrInstall with a missing %s = %v, want an error naming it", EnvBinary, err)
	}
	bin := filepath.Join(t.TempDir(), "versitygw")
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvBinary, bin)
	if got, err := findOrInstall(); err != nil || got != bin {
		t.Fatalf("findOrInstall = %q, %v; want %q", got, err, bin)
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repo root %s has no go.mod: %v", root, err)
	}
}

func TestNewStore(t *testing.T) {
	s := NewStore(t)
	ctx := context.Background()
	id, n, err := s.Put(ctx, strings.NewReader("hello"), 0)
	if err != nil || n != 5 {
		t.Fatalf("Put = %s, %d, %v", id, n, err)
	}
	if size, err := s.Stat(ctx, id); err != nil || size != 5 {
		t.Fatalf("Stat = %d, %v", size, err)
	}
}
