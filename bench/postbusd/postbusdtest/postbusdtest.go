// Package postbusdtest is the TestMain of the bench packages whose tests run
// a real `postbus serve`: it builds the binary once per test binary (or uses
// $POSTBUS_BENCH_BIN, as scripts/test.sh sets) and removes it afterwards.
package postbusdtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/postbus/postbus/bench/postbusd"
)

// Main sets *bin to a postbus binary, runs setup (e.g. installing Dovecot),
// then the tests, and exits with their code. A build or setup failure fails
// the whole package: a missing server is never a skipped test.
func Main(m *testing.M, bin *string, setup ...func(context.Context) error) {
	dir, err := os.MkdirTemp("", "postbus-bench-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	*bin, err = postbusd.Build(ctx, dir)
	for _, s := range setup {
		if err == nil {
			err = s(ctx)
		}
	}
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
