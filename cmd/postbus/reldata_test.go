package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminCommandsWithRelativeDataDir: `--data d` (relative, as the README's
// default ./postbus-data is) reaches a running server through d/admin.sock.
// "unix://d/admin.sock" once made gRPC read "d" as a URL authority.
func TestAdminCommandsWithRelativeDataDir(t *testing.T) {
	parent := t.TempDir()
	s := startServer(t, filepath.Join(parent, "d"))
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(postbusBin, args...)
		cmd.Dir = parent
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("postbus %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("pw-rel-1\n", "user", "add", "rel", "--data", "d")
	if out := run("", "status", "--data", "d"); !strings.Contains(out, "running") {
		t.Errorf("status with a running server says:\n%s", out)
	}
	if out := run("", "user", "list", "--data", "d"); strings.TrimSpace(out) != "rel" {
		t.Errorf("user list: %q", out)
	}
	run("", "mailboxes", "rel", "--data", "d")
	run("", "kick", "rel", "--data", "d")
	// The user was created in the running server, not in a store opened aside.
	dial(t, s, "rel", "pw-rel-1", nil).Logout().Wait()
}
