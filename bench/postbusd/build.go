package postbusd

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BinEnv names an environment variable that, when set to an executable
// postbus, makes Build return it instead of building: a test script that
// runs several packages' tests can build once.
const BinEnv = "POSTBUS_BENCH_BIN"

// Build compiles cmd/postbus into dir and returns the binary's path. Tests
// use it from TestMain; it needs the go tool and the module source.
func Build(ctx context.Context, dir string) (string, error) {
	if p := os.Getenv(BinEnv); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("%w: %s=%s is not a binary", ErrPostbusd, BinEnv, p)
		}
		return p, nil
	}
	bin := filepath.Join(dir, "postbus")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/postbus/postbus/cmd/postbus")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: go build: %w: %s", ErrPostbusd, err, out)
	}
	return bin, nil
}
