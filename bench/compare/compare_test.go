package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/postbus/postbus/bench/dovecot"
	"github.com/postbus/postbus/bench/postbusd/postbusdtest"
	"github.com/postbus/postbus/bench/workload"
)

var postbusBin string

func TestMain(m *testing.M) {
	// Dovecot is the reference: install it or fail (not skip).
	postbusdtest.Main(m, &postbusBin, func(ctx context.Context) error {
		_, err := dovecot.EnsureInstalled(ctx)
		return err
	})
}

// TestCompareEveryWorkload runs the whole comparison on a tiny corpus:
// both servers must finish every workload with no error and the same
// (checked) search answers.
func TestCompareEveryWorkload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	out, err := Run(ctx, Options{PostbusBinary: postbusBin, Users: 1, Messages: 24, Seed: 3,
		// A mixed session (LOGIN with its argon2id check … LOGOUT) takes
		// Dovecot 100–130 ms on these cores; 500 ms leaves room for a
		// loaded CI machine to finish one.
		MaxAttachment: 128 << 10, Duration: 500 * time.Millisecond, Concurrency: 2, MaxOps: 200, Progress: &progress})
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	if len(out.Comparisons) != len(workload.Names()) || len(out.Results) != 2*len(workload.Names()) {
		t.Fatalf("%d comparisons, %d results; want one per workload", len(out.Comparisons), len(out.Results))
	}
	for i, c := range out.Comparisons {
		if c.Workload != workload.Names()[i] || c.Postbus.Target != "postbus" || c.Dovecot.Target != "dovecot" {
			t.Fatalf("comparison %d pairs %s/%s on %s", i, c.Postbus.Target, c.Dovecot.Target, c.Workload)
		}
		for _, r := range []workload.Result{c.Postbus, c.Dovecot} {
			if r.Errors != 0 || r.Ops == 0 {
				t.Errorf("%s on %s: %d ops, %d errors (first: %s)", r.Workload, r.Target, r.Ops, r.Errors, r.FirstError)
			}
		}
		if c.Ratio <= 0 {
			t.Errorf("%s: ratio %v", c.Workload, c.Ratio)
		}
	}
	// The runs alternate: the second workload starts on Dovecot.
	if out.Results[0].Target != "postbus" || out.Results[2].Target != "dovecot" {
		t.Errorf("run order %s, %s: want postbus first, then dovecot first", out.Results[0].Target, out.Results[2].Target)
	}
}

// TestCLICompareJSON runs `postbus bench compare --json` (the binary runs
// itself as the server) and checks the machine-readable shape.
func TestCLICompareJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, postbusBin, "bench", "compare", "--json", "--users", "1", "--messages", "10",
		"--duration", "200ms", "--concurrency", "1", "--workloads", "select,search-flags", "--max-attachment", "65536")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, stdout.String())
	}
	if len(rows) != 2 || rows[0]["workload"] != "select" || rows[1]["workload"] != "search-flags" {
		t.Fatalf("rows %v", rows)
	}
	for _, r := range rows {
		if len(r) != 4 {
			t.Errorf("row %v: want exactly workload, postbus, dovecot, ratio", r)
		}
		for _, k := range []string{"postbus", "dovecot", "ratio"} {
			if v, ok := r[k].(float64); !ok || v <= 0 {
				t.Errorf("row %v: %s = %v, want a positive number", r["workload"], k, r[k])
			}
		}
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := Run(context.Background(), Options{}); !errors.Is(err, ErrCompare) {
		t.Errorf("no binary: %v", err)
	}
	bad := exec.Command(postbusBin, "bench", "compare", "--workloads", "nope")
	if out, err := bad.CombinedOutput(); err == nil || bad.ProcessState.ExitCode() != 2 {
		t.Errorf("unknown workload: exit %v, want 2\n%s", err, out)
	}
	if out, err := exec.Command(postbusBin, "bench", "frobnicate").CombinedOutput(); err == nil {
		t.Errorf("unknown subcommand accepted:\n%s", out)
	}
}
