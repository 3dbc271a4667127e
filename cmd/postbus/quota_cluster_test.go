package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestClusterQuota sets a quota with `postbus user quota --etcd` (through
// the router to the user's metadata node) and checks that both frontends
// report and enforce it.
func TestClusterQuota(t *testing.T) {
	lc := startLocalCluster(t)
	user := lc.addUsers(t, 1)[0]
	out, err := exec.Command(postbusBin, "user", "quota", user, "--messages", "1", "--etcd", lc.env["ETCD_ENDPOINTS"]).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "messages: 0 used, limit 1") {
		t.Fatalf("user quota --etcd: %v\n%s", err, out)
	}
	a := lc.mustSession(t, user, lc.env["FRONTEND1_IMAPS"])
	b := lc.mustSession(t, user, lc.env["FRONTEND2_IMAPS"])
	if _, r, err := a.appendMsg("INBOX", message("quota-1")); err != nil || r.status != "OK" {
		t.Fatalf("first APPEND: %v %v", r, err)
	}
	if _, r, err := b.appendMsg("Archive", message("quota-2")); err != nil || r == nil || r.status != "NO" || !strings.HasPrefix(r.text, "[OVERQUOTA]") {
		t.Errorf("APPEND over quota via the second frontend: %v %v", r, err)
	}
	resp, err := b.ok("GETQUOTAROOT INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(resp.untagged, "\n") != "* QUOTAROOT INBOX \"\"\n* QUOTA \"\" (MESSAGE 1 1)" {
		t.Errorf("GETQUOTAROOT: %q", resp.untagged)
	}
}
