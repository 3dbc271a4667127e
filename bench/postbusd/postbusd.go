package postbusd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrPostbusd is the sentinel wrapped by every error of this package.
var ErrPostbusd = errors.New("postbusd")

// Server is a running `postbus serve`.
type Server struct {
	Binary  string
	DataDir string
	IMAPS   string // host:port, implicit TLS
	IMAP    string // host:port, STARTTLS
	Cert    string // PEM file of the self-signed certificate

	cmd    *exec.Cmd
	exited chan error
	stderr *lockedBuffer
	once   sync.Once
}

// Start runs `BINARY serve --data DATA` on ephemeral loopback ports plus
// extra flags, and waits (bounded by ctx) for its ready line.
func Start(ctx context.Context, binary, dataDir string, extra ...string) (*Server, error) {
	args := append([]string{"serve", "--data", dataDir,
		"--imaps-addr", "127.0.0.1:0", "--imap-addr", "127.0.0.1:0"}, extra...)
	s := &Server{Binary: binary, DataDir: dataDir, exited: make(chan error, 1), stderr: &lockedBuffer{}}
	s.cmd = exec.Command(binary, args...)
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPostbusd, err)
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPostbusd, err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "postbus: ready ") {
				select {
				case ready <- line:
				default:
				}
			}
		}
	}()
	go func() { s.exited <- s.cmd.Wait() }()
	select {
	case line := <-ready:
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "imaps":
				s.IMAPS = v
			case "imap":
				s.IMAP = v
			case "cert":
				s.Cert = v
			}
		}
		if s.IMAPS == "" || s.Cert == "" {
			s.Stop()
			return nil, fmt.Errorf("%w: ready line lacks imaps= or cert=: %q", ErrPostbusd, line)
		}
		return s, nil
	case err := <-s.exited:
		s.exited <- err
		return nil, fmt.Errorf("%w: serve exited before ready (%v): %s", ErrPostbusd, err, s.stderr)
	case <-ctx.Done():
		s.Stop()
		return nil, fmt.Errorf("%w: serve not ready: %w; stderr: %s", ErrPostbusd, ctx.Err(), s.stderr)
	}
}

// AddUser runs `postbus user add NAME --data DIR` with the password on stdin.
func (s *Server) AddUser(ctx context.Context, name, password string) error {
	cmd := exec.CommandContext(ctx, s.Binary, "user", "add", name, "--data", s.DataDir)
	cmd.Stdin = strings.NewReader(password + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: user add %s: %w: %s", ErrPostbusd, name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stderr returns what the server has logged so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// Stop sends SIGTERM and waits up to 20 s, then SIGKILL. It returns the
// exit error of the process (nil after a clean shutdown). Safe to call
// more than once.
func (s *Server) Stop() error {
	var err error
	s.once.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err = <-s.exited:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
			err = fmt.Errorf("%w: serve did not stop within 20 s of SIGTERM", ErrPostbusd)
		}
	})
	return err
}

// Executable returns the path of the running binary, which is postbus
// itself when called from `postbus bench`.
func Executable() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrPostbusd, err)
	}
	return p, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Keep the last 64 KiB: enough to explain a failure.
	if l.b.Len() > 64<<10 {
		rest := l.b.Bytes()[l.b.Len()-32<<10:]
		l.b.Reset()
		l.b.Write(rest)
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
