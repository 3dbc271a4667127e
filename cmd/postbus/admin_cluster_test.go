package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
)

// TestClusterAdmin runs the admin commands against a multi-process
// cluster (deploy/local/cluster.sh): status, mailboxes, kick through a
// frontend, rename on one node (and the refusal across nodes), and a
// collector pass over every node's references and the shared bucket.
func TestClusterAdmin(t *testing.T) {
	lc := startLocalCluster(t)
	users := lc.addUsers(t, 2)
	s3args := []string{"--s3-endpoint", "http://" + lc.env["S3_ENDPOINT"], "--s3-bucket", lc.env["S3_BUCKET"]}
	run := func(wantCode int, args ...string) string {
		t.Helper()
		cmd := exec.Command(postbusBin, append(args, "--etcd", lc.env["ETCD_ENDPOINTS"])...)
		cmd.Env = append(os.Environ(),
			"POSTBUS_S3_ACCESS_KEY="+lc.env["S3_ACCESS_KEY"], "POSTBUS_S3_SECRET_KEY="+lc.env["S3_SECRET_KEY"])
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != wantCode {
			t.Fatalf("postbus %q: exit %d, want %d\n%s", args, code, wantCode, out)
		}
		return string(out)
	}

	// status names every node and the elected collector.
	m := lc.watch.Current()
	deadline := time.Now().Add(30 * time.Second)
	var out string
	for {
		out = run(0, "status")
		if !strings.Contains(out, "no node elected") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for id := range m.Nodes {
		if !strings.Contains(out, id) {
			t.Errorf("status does not list node %s:\n%s", id, out)
		}
	}
	leader := regexp.MustCompile(`blob collector: (\S+)`).FindStringSubmatch(out)
	if leader == nil || m.Nodes[leader[1]].ID == "" {
		t.Errorf("status names no live collector:\n%s", out)
	}

	u := users[0]
	c := lc.mustSession(t, u, "")
	if _, r, err := c.appendMsg("INBOX", message("kept")); err != nil || r.status != "OK" {
		t.Fatalf("append: %v %v", r, err)
	}
	if out := run(0, "mailboxes", u); !regexp.MustCompile(`(?m)^\s+1\s+1\s+\d+\s+yes\s+INBOX`).MatchString(out) {
		t.Errorf("mailboxes %s:\n%s", u, out)
	}

	// A collector pass: old garbage in the bucket goes, the message stays.
	ctx := context.Background()
	s3, err := blobstore.NewS3(ctx, blobstore.S3Config{
		Endpoint: lc.env["S3_ENDPOINT"], Bucket: lc.env["S3_BUCKET"], AccessKey: lc.env["S3_ACCESS_KEY"],
		SecretKey: lc.env["S3_SECRET_KEY"], Region: "us-east-1", PathStyle: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	garbage, _, err := s3.Put(ctx, strings.NewReader("nobody references this"), 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // S3 times have a one-second resolution
	if out := run(0, append([]string{"gc", "--dry-run", "--grace", "1s"}, s3args...)...); !strings.Contains(out, "would delete 1 blobs") {
		t.Errorf("gc --dry-run: %s", out)
	}
	if out := run(0, append([]string{"gc", "--grace", "1s"}, s3args...)...); !strings.Contains(out, "deleted 1 blobs") || !strings.Contains(out, "0 referenced blobs missing") {
		t.Errorf("gc: %s", out)
	}
	if _, err := s3.Stat(ctx, garbage); err == nil {
		t.Error("garbage survived the pass")
	}
	if _, err := c.ok("SELECT INBOX"); err != nil {
		t.Fatal(err)
	}
	if r, err := c.ok("FETCH 1 BODY.PEEK[]"); err != nil || !strings.Contains(strings.Join(r.untagged, "\n"), "kept") {
		t.Fatalf("body after gc: %v %v", r, err)
	}

	// kick ends the session through the frontend.
	run(0, "kick", u)
	if _, err := c.waitUntagged(regexp.MustCompile(`^\* BYE \[UNAVAILABLE\] logged out by an administrator`), 20*time.Second); err != nil {
		t.Errorf("kicked session: %v", err)
	}

	// rename: users[0] to a name on its own node (one batch), users[1] to
	// a name on another node (a move), its message with it.
	c1 := lc.mustSession(t, users[1], "")
	if _, r, err := c1.appendMsg("INBOX", message("moved")); err != nil || r.status != "OK" {
		t.Fatalf("append: %v %v", r, err)
	}
	c1.Close()
	pick := func(user string, sameNode bool, not string) string {
		owner, _, _ := m.OwnerOf(user)
		for i := 0; ; i++ {
			name := fmt.Sprintf("renamed%d", i)
			if o, _, _ := m.OwnerOf(name); (o.ID == owner.ID) == sameNode && name != not {
				return name
			}
		}
	}
	same := pick(users[0], true, "")
	other := pick(users[1], false, same)
	if out := run(0, "user", "rename", users[0], same); strings.Contains(out, "moved") {
		t.Errorf("same-node rename moved: %s", out)
	}
	if out := run(0, "user", "rename", users[1], other); !strings.Contains(out, "moved from node") {
		t.Errorf("cross-node rename: %s", out)
	}
	for name, old := range map[string]string{same: users[0], other: users[1]} {
		nc, err := dialIMAP(lc.env["LB_IMAPS"], lc.tls, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.ok("LOGIN %s %s", name, password(old)); err != nil {
			t.Errorf("login as %s (was %s): %v", name, old, err)
		} else if r, err := nc.ok("SELECT INBOX"); err != nil || !strings.Contains(strings.Join(r.untagged, "\n"), "* 1 EXISTS") {
			t.Errorf("%s's INBOX: %v %v", name, r, err)
		}
		nc.Close()
	}
	out = run(0, "user", "list")
	if got := strings.Fields(out); len(got) != 2 || !strings.Contains(out, same) || !strings.Contains(out, other) {
		t.Errorf("user list after renames: %q", out)
	}
	if out := run(1, "user", "rename", same, other); !strings.Contains(out, "already exists") {
		t.Errorf("rename onto an existing user: %s", out)
	}
}
