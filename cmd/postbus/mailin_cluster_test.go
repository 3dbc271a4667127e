package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestClusterImportExport imports into a user of a multi-process cluster
// (deploy/local/cluster.sh) with `postbus import --etcd` and the cluster's
// S3 flags, twice, reads the mail back through haproxy and a frontend, and
// exports it with `postbus export --etcd`.
func TestClusterImportExport(t *testing.T) {
	lc := startLocalCluster(t)
	user := lc.addUsers(t, 1)[0]
	src := t.TempDir()
	mbox := filepath.Join(src, "in.mbox")
	if err := os.WriteFile(mbox, []byte(cliMbox), 0o600); err != nil {
		t.Fatal(err)
	}
	clusterArgs := []string{
		"--etcd", lc.env["ETCD_ENDPOINTS"],
		"--s3-endpoint", "http://" + lc.env["S3_ENDPOINT"], "--s3-bucket", lc.env["S3_BUCKET"],
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(postbusBin, append(args, clusterArgs...)...)
		cmd.Env = append(os.Environ(),
			"POSTBUS_S3_ACCESS_KEY="+lc.env["S3_ACCESS_KEY"], "POSTBUS_S3_SECRET_KEY="+lc.env["S3_SECRET_KEY"])
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("postbus %q: %v\nstdout: %s\nstderr: %s", args, err, out, stderr)
		}
		return string(out)
	}
	for _, want := range []string{"2 imported, 0 already there, 1 broken", "0 imported, 2 already there, 1 broken"} {
		if out := run("import", "--user", user, "--mbox", mbox, "--mailbox", "Imported"); !strings.Contains(out, want) {
			t.Errorf("import: %q, want %q", out, want)
		}
	}
	for _, addr := range []string{"", lc.env["FRONTEND2_IMAPS"]} {
		c := lc.mustSession(t, user, addr)
		bySubject, uids, err := c.mailboxContents("Imported")
		if err != nil {
			t.Fatal(err)
		}
		if len(uids) != 2 || len(bySubject["m1"]) != 1 || len(bySubject["m2"]) != 1 {
			t.Errorf("via %q: Imported holds %v", addr, bySubject)
		}
	}
	out := filepath.Join(t.TempDir(), "export")
	if o := run("export", "--user", user, "--maildir", out); !strings.Contains(o, "2 messages") {
		t.Errorf("export: %q", o)
	}
	got := maildirListing(t, out)
	want := []string{".Imported/cur: 2009-03-17 R,S m1", ".Imported/cur: 2009-03-18 a m2"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("exported:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
