package s3test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
)

const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
	startTries   = 3
)

// Start runs a fresh versitygw over a temp directory for the duration of t
// and returns a config for it (Bucket set to a fresh name; NewS3 creates
// it). It fails t if the server cannot be installed or started.
func Start(t testing.TB) blobstore.S3Config {
	t.Helper()
	cfg, stop, err := StartProcess(t.TempDir())
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	t.Cleanup(stop)
	return cfg
}

// StartProcess runs versitygw serving dir (which must exist) until stop is
// called. stop kills exactly that child process and waits for it; it may be
// called more than once.
func StartProcess(dir string) (cfg blobstore.S3Config, stop func(), err error) {
	bin, err := Binary()
	if err != nil {
		return cfg, nil, err
	}
	access, secret := randomHex(10), randomHex(20)
	for try := 1; ; try++ {
		cfg, stop, err = startOnce(bin, dir, access, secret)
		// A free port found by listening on :0 can be taken by someone
		// else before versitygw binds it; try another.
		if err == nil || !errors.Is(err, errExited) || try == startTries {
			return cfg, stop, err
		}
	}
}

var errExited = errors.New("versitygw exited")

func startOnce(bin, dir, access, secret string) (blobstore.S3Config, func(), error) {
	addr, err := freeAddr()
	if err != nil {
		return blobstore.S3Config{}, nil, err
	}
	out := &limitedBuffer{max: 64 << 10}
	cmd := exec.Command(bin, "--port", addr, "posix", dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+access, "ROOT_SECRET_KEY="+secret)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return blobstore.S3Config{}, nil, fmt.Errorf("s3test: start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()

	var once sync.Once
	stop := func() {
		once.Do(func() {
			select {
			case <-exited:
				return
			default:
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(stopTimeout):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
	}
	if err := waitReady(addr, exited); err != nil {
		stop()
		if errors.Is(err, errExited) {
			return blobstore.S3Config{}, nil, fmt.Errorf("s3test: %w (%v) before answering on %s:\n%s", err, waitErr, addr, out.String())
		}
		return blobstore.S3Config{}, nil, fmt.Errorf("s3test: %w:\n%s", err, out.String())
	}
	return blobstore.S3Config{
		Endpoint:  addr,
		Bucket:    "postbus-" + randomHex(6),
		AccessKey: access,
		SecretKey: secret,
		Region:    "us-east-1",
		PathStyle: true,
	}, stop, nil
}

// waitReady polls until the server answers HTTP (any status: an anonymous
// request is refused, which proves it is up).
func waitReady(addr string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		select {
		case <-exited:
			return errExited
		default:
		}
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw not answering on %s after %v: %w", addr, readyTimeout, err)
		}
		select {
		case <-exited:
			return errExited
		case <-time.After(delay):
		}
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("s3test: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// limitedBuffer keeps the first max bytes of the server's output for error
// messages; it is written by the exec goroutines and read after exit.
type limitedBuffer struct {
	mu  sync.Mutex
	b   strings.Builder
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
