package dovecot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
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
	if err := run(noninteractive, "apt-get", "update", "-qq"); err != nil {
		return "", err
	}
	if err := run(noninteractive, "apt-get", "install", "-y", "-qq", "dovecot-imapd"); err != nil {
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
