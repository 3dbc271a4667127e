package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPReloadsLogLevel: the log level is the setting that changes
// live. SIGHUP re-reads --config; a level given on the command line would
// still win over the file.
func TestSIGHUPReloadsLogLevel(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(t.TempDir(), "postbus.toml")
	if err := os.WriteFile(conf, []byte("log-level = \"info\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir, "--config", conf)
	addUser(t, s.data, "lena", "pw-lena-123")
	debugLines := func() int { return strings.Count(s.stderr.String(), "frontend: command") }

	c := dial(t, s, "lena", "pw-lena-123", nil)
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if n := debugLines(); n != 0 {
		t.Fatalf("%d per-command debug lines at level info", n)
	}

	if err := os.WriteFile(conf, []byte("log-level = \"debug\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.stderr.String(), "log level changed") {
		if time.Now().After(deadline) {
			t.Fatalf("no log level change logged after SIGHUP\n%s", s.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Noop().Wait(); err != nil {
		t.Fatalf("session broken by SIGHUP: %v", err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for debugLines() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no per-command debug line after switching to debug\n%s", s.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A config file that no longer parses changes nothing and says why.
	if err := os.WriteFile(conf, []byte("log-level = [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.cmd.Process.Signal(syscall.SIGHUP)
	deadline = time.Now().Add(20 * time.Second)
	for !strings.Contains(s.stderr.String(), "re-reading the configuration") {
		if time.Now().After(deadline) {
			t.Fatalf("bad config file not reported at SIGHUP\n%s", s.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s.cmd.ProcessState != nil {
		t.Fatal("server exited on SIGHUP with a bad config file")
	}
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
}
