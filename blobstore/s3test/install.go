package s3test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// EnvBinary names a versitygw binary to use instead of installing one.
const EnvBinary = "POSTBUS_VERSITYGW"

var (
	installOnce sync.Once
	installPath string
	installErr  error
)

// Binary returns the path of the versitygw binary, installing it on first
// use. The result, error included, is cached for the process.
func Binary() (string, error) {
	installOnce.Do(func() { installPath, installErr = findOrInstall() })
	return installPath, installErr
}

func findOrInstall() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("s3test: %s: %w", EnvBinary, err)
		}
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "scripts", "install-versitygw.sh")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("s3test: installing versitygw with %s: %w\n%s", script, err, tail(stderr.String(), 4000))
	}
	path := strings.TrimSpace(stdout.String())
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("s3test: install script printed %q: %w", path, err)
	}
	return path, nil
}

// repoRoot finds the postbus checkout: from this source file's location
// (always known to tests), else upwards from the working directory.
func repoRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for {
			if _, err := os.Stat(filepath.Join(dir, "scripts", "install-versitygw.sh")); err == nil {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("s3test: cannot find the repository (scripts/install-versitygw.sh) above this package or the working directory; set " + EnvBinary)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
