package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// postbusBin is the binary under test, built once by TestMain.
var postbusBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "postbus-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	postbusBin = filepath.Join(dir, "postbus")
	build := exec.Command("go", "build", "-o", postbusBin, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building postbus:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a `postbus serve` process started by a test.
type server struct {
	t        testing.TB
	data     string
	cmd      *exec.Cmd
	imaps    string // host:port
	imap     string
	certFile string
	stderr   *lockedBuffer
	exited   chan error
}

// startServer runs `postbus serve` on free loopback ports with data in dir
// (a new temp dir if empty) and extra flags, and waits for its ready line.
func startServer(t testing.TB, dir string, extra ...string) *server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	args := append([]string{"serve", "--data", dir, "--imaps-addr", "127.0.0.1:0", "--imap-addr", "127.0.0.1:0"}, extra...)
	s := &server{t: t, data: dir, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(postbusBin, args...)
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "postbus: ready ") {
				ready <- line
			}
		}
	}()
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(s.stop)
	select {
	case line := <-ready:
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "imaps":
				s.imaps = v
			case "imap":
				s.imap = v
			case "cert":
				s.certFile = v
			}
		}
	case err := <-s.exited:
		t.Fatalf("postbus serve exited before ready: %v\nstderr:\n%s", err, s.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("postbus serve not ready after 60s\nstderr:\n%s", s.stderr)
	}
	return s
}

// stop sends SIGTERM and waits for a clean exit (SIGKILL after 20 s).
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		if err != nil {
			s.t.Errorf("postbus serve exited with %v after SIGTERM\nstderr:\n%s", err, s.stderr)
		}
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("postbus serve did not stop within 20s of SIGTERM\nstderr:\n%s", s.stderr)
	}
}

// kill ends the server with SIGKILL, as a crash would.
func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

// tlsConfig trusts the server's (self-signed) certificate.
func (s *server) tlsConfig() *tls.Config {
	s.t.Helper()
	pem, err := os.ReadFile(s.certFile)
	if err != nil {
		s.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		s.t.Fatalf("no certificate in %s", s.certFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}

// postbusCmd runs the postbus binary with args and stdin, returning stdout,
// stderr and the exit code.
func postbusCmd(t testing.TB, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(postbusBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// addUser creates a user through the CLI and fails the test otherwise.
func addUser(t testing.TB, dataDir, name, password string) {
	t.Helper()
	out, errOut, code := postbusCmd(t, password+"\n", "user", "add", name, "--data", dataDir)
	if code != 0 {
		t.Fatalf("user add %s: exit %d\nstdout: %s\nstderr: %s", name, code, out, errOut)
	}
}

// lockedBuffer collects a process's stderr while the test may read it
// (bytes.Buffer alone is not safe for concurrent use).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
