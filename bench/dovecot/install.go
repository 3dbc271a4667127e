package dovecot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
)

// ErrDovecot is the sentinel wrapped by every error of this package.
var ErrDovecot = errors.New("dovecot")

// DefaultBinary is where Debian's package installs the server.
const DefaultBinary = "/usr/sbin/dovecot"

var installMu sync.Mutex

// EnsureInstalled returns the path of the dovecot binary, installing
// Debian's dovecot-imapd with apt-get first if it is missing (root
// needed). The system service the package may start is stopped and
// disabled again: tests and benchmarks use their own instances only.
// bench/dovecot/install.sh does the same for shell scripts.
func EnsureInstalled(ctx context.Context) (string, error) {
	installMu.Lock()
	defer installMu.Unlock()
	if _, err := os.Stat(DefaultBinary); err == nil {
		return DefaultBinary, nil
	}
	// Several test binaries may get here at once: serialise across
	// processes too, then look again.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "postbus-dovecot-install.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrDovecot, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("%w: %w", ErrDovecot, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(DefaultBinary); err == nil {
		return DefaultBinary, nil
	}
	run := func(env []string, name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s %v: %w: %s", ErrDovecot, name, args, err, tail(out))
		}
		return nil
	}
	noninteractive := []string{"DEBIAN_FRONTEND=noninteractive"}
	// Wait for dpkg's lock rather than fail if another apt-get runs.
	if err := run(noninteractive, "apt-get", "-o", "DPkg::Lock::Timeout=300", "update", "-qq"); err != nil {
		return "", err
	}
	if err := run(noninteractive, "apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", "dovecot-imapd"); err != nil {
		return "", err
	}
	// Best effort: without systemd (containers) there is nothing to stop.
	exec.CommandContext(ctx, "systemctl", "disable", "--now", "dovecot").Run()
	if _, err := os.Stat(DefaultBinary); err != nil {
		return "", fmt.Errorf("%w: dovecot-imapd installed but %s missing", ErrDovecot, DefaultBinary)
	}
	return DefaultBinary, nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
