package postbusd

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// Build compiles cmd/postbus into dir and returns the binary's path. Tests
// use it from TestMain; it needs the go tool and the module source.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "postbus")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/postbus/postbus/cmd/postbus")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: go build: %w: %s", ErrPostbusd, err, out)
	}
	return bin, nil
}
