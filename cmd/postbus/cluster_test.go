package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/postbus/postbus/metadata/cluster"
)

// TestCluster runs a whole cluster as separate processes with
// deploy/local/cluster.sh (real etcd, versitygw as S3, 3 metadata nodes, 2
// frontends, haproxy sending PROXY v2) and checks what issue 3 asks of it,
// one scenario after the other on the same cluster:
//   - sessions on different frontends see each other's changes, in IDLE
//     within a second and at the next NOOP;
//   - many users spread over the shards of all nodes;
//   - a fourth node joins under client load and shards move to it with no
//     lost message, no duplicate UID, no failed command but retried ones;
//   - a frontend killed with SIGKILL: its clients reconnect through haproxy
//     and find everything;
//   - a stopped metadata node: its users get NO [UNAVAILABLE], others are
//     unaffected, and its users recover by themselves when it returns.
func TestCluster(t *testing.T) {
	lc := startLocalCluster(t)
	users := lc.addUsers(t, 40)

	t.Run("ChangesAcrossFrontends", func(t *testing.T) { testChangesAcrossFrontends(t, lc, users[0]) })
	t.Run("UsersSpreadOverShards", func(t *testing.T) { testUsersSpread(t, lc, users) })
	t.Run("NodeJoinsUnderLoad", func(t *testing.T) { testNodeJoinsUnderLoad(t, lc, users) })
	t.Run("FrontendKilled", func(t *testing.T) { testFrontendKilled(t, lc, users[1:7]) })
	t.Run("MetadataNodeStopped", func(t *testing.T) { testMetadataNodeDown(t, lc, users, "metadata2", "stop") })
	t.Run("MetadataNodeKilled", func(t *testing.T) { testMetadataNodeDown(t, lc, users, "metadata3", "kill") })
}

// localCluster is a cluster started by deploy/local/cluster.sh.
type localCluster struct {
	dir   string
	env   map[string]string
	tls   *tls.Config
	watch *cluster.MapWatcher
}

func clusterScript() string { return filepath.Join("..", "..", "deploy", "local", "cluster.sh") }

func startLocalCluster(t *testing.T) *localCluster {
	t.Helper()
	lc := &localCluster{dir: t.TempDir()}
	up := exec.Command("bash", clusterScript(), "up", lc.dir)
	up.Env = append(os.Environ(), "POSTBUS_BIN="+postbusBin, "POSTBUS_SHARDS=64")
	out, err := up.CombinedOutput()
	// Registered before checking err: whatever started must stop.
	t.Cleanup(func() {
		pids := lc.pids()
		if out, err := exec.Command("bash", clusterScript(), "down", lc.dir).CombinedOutput(); err != nil {
			t.Errorf("cluster.sh down: %v\n%s", err, out)
		}
		// down stopped every process up (and the test) started.
		for name, pid := range pids {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
				if stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(stat), ") Z ") {
					t.Errorf("%s (pid %d) still running after cluster.sh down", name, pid)
				}
			}
		}
	})
	t.Cleanup(func() {
		if t.Failed() {
			lc.dumpLogs(t)
		}
	})
	if err != nil {
		t.Fatalf("cluster.sh up: %v\n%s", err, out)
	}
	lc.env = readEnvFile(t, filepath.Join(lc.dir, "cluster.env"))
	for _, k := range []string{"ETCD_ENDPOINTS", "S3_ENDPOINT", "LB_IMAPS", "LB_IMAP", "FRONTEND1_IMAPS", "FRONTEND2_IMAPS"} {
		if lc.env[k] == "" {
			t.Fatalf("cluster.env lacks %s", k)
		}
	}
	pem, err := os.ReadFile(lc.env["TLS_CERT"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	lc.tls = &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}

	cli, err := clientv3.New(clientv3.Config{
		Endpoints: strings.Split(lc.env["ETCD_ENDPOINTS"], ","), DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	lc.watch, err = cluster.Watch(ctx, cli, cluster.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lc.watch.Close)
	lc.waitBalanced(t, 3)
	return lc
}

// readEnvFile parses the KEY=value lines cluster.sh writes (values quoted
// by bash's printf %q only when they need it, which ours never do).
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	return env
}

func (lc *localCluster) dumpLogs(t *testing.T) {
	logs, _ := filepath.Glob(filepath.Join(lc.dir, "logs", "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 25 {
			lines = lines[len(lines)-25:]
		}
		t.Logf("--- %s (last lines)\n%s", filepath.Base(l), strings.Join(lines, "\n"))
	}
}

// pids are the processes the cluster's pid files name.
func (lc *localCluster) pids() map[string]int {
	files, _ := filepath.Glob(filepath.Join(lc.dir, "pids", "*.pid"))
	out := map[string]int{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if fields := strings.Fields(string(b)); len(fields) > 0 {
			if pid, err := strconv.Atoi(fields[0]); err == nil {
				out[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
			}
		}
	}
	return out
}

// sh runs a cluster.sh subcommand on this cluster.
func (lc *localCluster) sh(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("bash", append([]string{clusterScript(), args[0], lc.dir}, args[1:]...)...)
	cmd.Env = append(os.Environ(), "POSTBUS_BIN="+postbusBin)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("cluster.sh %s: %v\n%s%s", args[0], err, out, stderr)
	}
	return strings.TrimSpace(string(out))
}

// nodeID is the id metadata node name ("metadata2") registered under.
func (lc *localCluster) nodeID(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(lc.dir, "data", name, "node-id"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// waitBalanced waits until n nodes are live, every shard is assigned and
// active, and no node owns more than one shard above another.
func (lc *localCluster) waitBalanced(t *testing.T, n int) *cluster.ShardMap {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := lc.watch.WaitFor(ctx, func(m *cluster.ShardMap) bool {
		if len(m.Nodes) != n || !m.Complete() {
			return false
		}
		lo, hi := int(m.Shards), 0
		for id := range m.Nodes {
			k := len(m.Owned(id))
			lo, hi = min(lo, k), max(hi, k)
		}
		return hi-lo <= 1
	})
	m := lc.watch.Current()
	if err != nil {
		owned := map[string]int{}
		for id := range m.Nodes {
			owned[id] = len(m.Owned(id))
		}
		t.Fatalf("cluster not balanced over %d nodes: %v (live %d, complete %v, owned %v)", n, err, len(m.Nodes), m.Complete(), owned)
	}
	return m
}

// addUsers creates u00, u01, ... through `postbus user add --etcd`.
func (lc *localCluster) addUsers(t *testing.T, n int) []string {
	t.Helper()
	users := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range users {
		users[i] = fmt.Sprintf("u%02d", i)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command(postbusBin, "user", "add", users[i], "--etcd", lc.env["ETCD_ENDPOINTS"])
			cmd.Stdin = strings.NewReader(password(users[i]) + "\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("user add %s: %v\n%s", users[i], err, out)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return users
}

func password(user string) string { return "pw-" + user }

// session opens an authenticated session through addr ("" = haproxy).
func (lc *localCluster) session(user, addr string) (*imapClient, error) {
	proxy := true
	if addr == "" {
		addr, proxy = lc.env["LB_IMAPS"], false
	}
	c, err := dialIMAP(addr, lc.tls, proxy && lc.env["FRONTEND1_PROXY"] == "1")
	if err != nil {
		return nil, err
	}
	if _, err := c.ok("LOGIN %s %s", user, password(user)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (lc *localCluster) mustSession(t *testing.T, user, addr string) *imapClient {
	t.Helper()
	c, err := lc.session(user, addr)
	if err != nil {
		t.Fatalf("session for %s via %s: %v", user, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func message(subject string) string {
	return "From: load@example.org\r\nTo: someone@example.org\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@test>\r\n\r\nbody of " + subject + "\r\n"
}

func testChangesAcrossFrontends(t *testing.T, lc *localCluster, user string) {
	a := lc.mustSession(t, user, lc.env["FRONTEND1_IMAPS"])
	b := lc.mustSession(t, user, lc.env["FRONTEND2_IMAPS"])
	if _, err := a.ok("SELECT INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := a.idle(); err != nil {
		t.Fatal(err)
	}
	uid, r, err := b.appendMsg("INBOX", message("cross-1"))
	if err != nil || r.status != "OK" {
		t.Fatalf("APPEND via frontend 2: %v %v", r, err)
	}
	// RFC 9051 §6.3.13; issue 3: within one second on the other frontend.
	if _, err := a.waitUntagged(regexp.MustCompile(`^\* \d+ EXISTS`), time.Second); err != nil {
		t.Fatalf("IDLE on frontend 1 after APPEND on frontend 2: %v", err)
	}
	if _, err := b.ok("SELECT INBOX"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ok("UID STORE %d +FLAGS (\\Flagged)", uid); err != nil {
		t.Fatal(err)
	}
	if _, err := a.waitUntagged(regexp.MustCompile(`FETCH \(.*FLAGS \([^)]*\\Flagged`), time.Second); err != nil {
		t.Fatalf("IDLE on frontend 1 after STORE on frontend 2: %v", err)
	}
	if err := a.done(); err != nil {
		t.Fatal(err)
	}
	// Without IDLE, the next NOOP reports a change made elsewhere.
	if _, r, err := b.appendMsg("INBOX", message("cross-2")); err != nil || r.status != "OK" {
		t.Fatalf("second APPEND: %v %v", r, err)
	}
	r, err = a.ok("NOOP")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(r.untagged, "\n"), " EXISTS") {
		t.Fatalf("NOOP on frontend 1 does not report the APPEND on frontend 2: %q", r.untagged)
	}
	// The body written by frontend 2 is in S3, readable by frontend 1.
	r, err = a.ok("UID FETCH %d (BODY.PEEK[TEXT])", uid)
	if err != nil || !strings.Contains(strings.Join(r.untagged, "\n"), "body of cross-1") {
		t.Fatalf("body via frontend 1: %v %q", err, r)
	}
}

func testUsersSpread(t *testing.T, lc *localCluster, users []string) {
	m := lc.watch.Current()
	perNode := map[string]int{}
	shards := map[uint32]bool{}
	for _, u := range users {
		owner, _, ok := m.OwnerOf(u)
		if !ok {
			t.Fatalf("user %s: no live owner", u)
		}
		perNode[owner.ID]++
		shards[m.ShardOf(u)] = true
	}
	if len(perNode) != len(m.Nodes) {
		t.Fatalf("users on %d of %d nodes: %v", len(perNode), len(m.Nodes), perNode)
	}
	t.Logf("%d users over %d shards, per node %v", len(users), len(shards), perNode)
	// Every user writes through haproxy and reads back through each
	// frontend directly.
	for _, u := range users {
		c, err := lc.session(u, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, r, err := c.appendMsg("INBOX", message("spread-"+u)); err != nil || r.status != "OK" {
			t.Fatalf("%s APPEND: %v %v", u, r, err)
		}
		c.Close()
	}
	for i, u := range users {
		fe := lc.env[fmt.Sprintf("FRONTEND%d_IMAPS", i%2+1)]
		c, err := lc.session(u, fe)
		if err != nil {
			t.Fatal(err)
		}
		subjects, _, err := c.mailboxContents("INBOX")
		c.Close()
		if err != nil {
			t.Fatalf("%s via %s: %v", u, fe, err)
		}
		if len(subjects["spread-"+u]) != 1 {
			t.Fatalf("%s via %s: spread message found %d times (%v)", u, fe, len(subjects["spread-"+u]), subjects)
		}
	}
}

// loadResult is what one load client did.
type loadResult struct {
	user     string
	appended map[string]uint32 // subject → UID the server answered
	order    []string          // subjects in append order
	retried  int               // NO [UNAVAILABLE] answers, retried
	reconn   int               // lost connections, reconnected
	err      error             // a failure that was not a retry
}

// appendLoad appends numbered messages for user through haproxy until stop
// is closed, retrying NO [UNAVAILABLE]. After a lost connection it checks
// whether the interrupted APPEND happened before retrying it, so that a
// retry never duplicates a message.
func appendLoad(lc *localCluster, user string, stop <-chan struct{}) *loadResult {
	res := &loadResult{user: user, appended: map[string]uint32{}}
	var c *imapClient
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	deadline := time.Now().Add(90 * time.Second) // give up retrying by then
	for i := 0; ; i++ {
		select {
		case <-stop:
			return res
		default:
		}
		subject := fmt.Sprintf("load-%s-%04d", user, i)
		for {
			if time.Now().After(deadline) {
				res.err = fmt.Errorf("%s: %s not appended after retrying until %v", user, subject, deadline)
				return res
			}
			if c == nil {
				var err error
				if c, err = lc.session(user, ""); err != nil {
					c = nil
					res.reconn++
					time.Sleep(100 * time.Millisecond)
					continue
				}
				// Did the interrupted APPEND land?
				if uid, found, err := findSubject(c, subject); err != nil {
					c.Close()
					c = nil
					continue
				} else if found {
					res.appended[subject] = uid
					res.order = append(res.order, subject)
					break
				}
			}
			uid, r, err := c.appendMsg("INBOX", message(subject))
			if err != nil && r == nil {
				c.Close()
				c = nil
				res.reconn++
				continue
			}
			if r.unavailable() {
				res.retried++
				time.Sleep(50 * time.Millisecond)
				continue
			}
			if err != nil || r.status != "OK" {
				res.err = fmt.Errorf("%s: APPEND %s: %v %v", user, subject, r, err)
				return res
			}
			res.appended[subject] = uid
			res.order = append(res.order, subject)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// findSubject looks for a message with subject in INBOX.
func findSubject(c *imapClient, subject string) (uint32, bool, error) {
	if _, err := c.ok("SELECT INBOX"); err != nil {
		return 0, false, err
	}
	r, err := c.ok("UID SEARCH HEADER Subject %q", subject)
	if err != nil {
		return 0, false, err
	}
	for _, l := range r.untagged {
		if f := strings.Fields(strings.TrimPrefix(l, "* SEARCH")); strings.HasPrefix(l, "* SEARCH") && len(f) > 0 {
			if len(f) > 1 {
				return 0, false, fmt.Errorf("subject %s found %d times", subject, len(f))
			}
			uid, _ := strconv.ParseUint(f[0], 10, 32)
			return uint32(uid), true, nil
		}
	}
	return 0, false, nil
}

// checkLoad verifies that a load client's messages are all there exactly
// once, under the UIDs the server answered, in ascending UID order.
func checkLoad(t *testing.T, lc *localCluster, res *loadResult) {
	t.Helper()
	c, err := lc.session(res.user, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	subjects, uids, err := c.mailboxContents("INBOX")
	if err != nil {
		t.Fatalf("%s: %v", res.user, err)
	}
	for i := 1; i < len(uids); i++ {
		if uids[i] <= uids[i-1] {
			t.Errorf("%s: UIDs not strictly ascending: %d after %d", res.user, uids[i], uids[i-1])
		}
	}
	for _, s := range res.order {
		got := subjects[s]
		switch {
		case len(got) == 0:
			t.Errorf("%s: %s (UID %d) lost", res.user, s, res.appended[s])
		case len(got) > 1:
			t.Errorf("%s: %s duplicated as UIDs %v", res.user, s, got)
		case got[0] != res.appended[s]:
			t.Errorf("%s: %s has UID %d, APPEND answered %d", res.user, s, got[0], res.appended[s])
		}
	}
	load := 0
	for s, u := range subjects {
		if strings.HasPrefix(s, "load-") {
			load += len(u)
			if _, ok := res.appended[s]; !ok {
				t.Errorf("%s: %s (UIDs %v) stored but never acknowledged", res.user, s, u)
			}
		}
	}
	if load != len(res.order) {
		t.Errorf("%s: %d load messages stored, %d appended", res.user, load, len(res.order))
	}
}

func testNodeJoinsUnderLoad(t *testing.T, lc *localCluster, users []string) {
	before := lc.watch.Current()
	stop := make(chan struct{})
	results := make([]*loadResult, len(users))
	var wg sync.WaitGroup
	var appended atomic.Int64
	for i, u := range users {
		wg.Go(func() {
			results[i] = appendLoad(lc, u, stop)
			appended.Add(int64(len(results[i].order)))
		})
	}
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()

	time.Sleep(time.Second) // load is flowing before the node joins
	name := lc.sh(t, "add-metadata")
	if name != "metadata4" {
		t.Fatalf("add-metadata started %q, want metadata4", name)
	}
	newID := lc.nodeID(t, name)
	after := lc.waitBalanced(t, 4)
	time.Sleep(time.Second) // and keeps flowing after the moves
	stopLoad()

	moved := 0
	for s := range after.Shards {
		b, _ := before.Entry(s)
		a, _ := after.Entry(s)
		if a.Owner != b.Owner {
			moved++
			if a.Owner != newID {
				t.Errorf("shard %d moved from %s to %s, not to the new node %s", s, b.Owner, a.Owner, newID)
			}
			if a.Epoch <= b.Epoch {
				t.Errorf("shard %d changed owner without a new epoch (%d → %d)", s, b.Epoch, a.Epoch)
			}
		}
	}
	if got := len(after.Owned(newID)); got == 0 || moved != got {
		t.Fatalf("new node owns %d shards, %d moved", got, moved)
	}
	// Load users whose shard moved: the interesting ones.
	var movedUsers []string
	retried, reconn := 0, 0
	for _, r := range results {
		if r.err != nil {
			t.Errorf("load: %v", r.err)
		}
		retried += r.retried
		reconn += r.reconn
		s := after.ShardOf(r.user)
		if b, _ := before.Entry(s); b.Owner != newID && after.Entries[s] != nil && after.Entries[s].Owner == newID {
			movedUsers = append(movedUsers, r.user)
		}
	}
	if len(movedUsers) == 0 {
		t.Fatalf("no load user's shard moved (moved %d shards)", moved)
	}
	t.Logf("%d shards moved to %s; %d appends by %d clients (%d of them on moved shards), %d retried NO [UNAVAILABLE], %d reconnects",
		moved, newID, appended.Load(), len(users), len(movedUsers), retried, reconn)
	for _, r := range results {
		checkLoad(t, lc, r)
	}
}

func testFrontendKilled(t *testing.T, lc *localCluster, users []string) {
	type sess struct {
		user   string
		c      *imapClient
		before map[string][]uint32
	}
	var sessions []*sess
	for _, u := range users {
		c := lc.mustSession(t, u, "")
		subjects, _, err := c.mailboxContents("INBOX")
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, &sess{user: u, c: c, before: subjects})
	}
	lc.sh(t, "kill", "frontend1")

	reconnected := 0
	for _, s := range sessions {
		if _, err := s.c.ok("NOOP"); err == nil {
			continue // on frontend 2
		}
		s.c.Close()
		reconnected++
		var err error
		for try := 0; try < 50; try++ {
			if s.c, err = lc.session(s.user, ""); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("%s: no reconnect through haproxy: %v", s.user, err)
		}
		t.Cleanup(func() { s.c.Close() })
	}
	if reconnected == 0 {
		t.Fatalf("none of %d sessions through haproxy was on frontend 1", len(sessions))
	}
	for _, s := range sessions {
		now, _, err := s.c.mailboxContents("INBOX")
		if err != nil {
			t.Fatalf("%s after the kill: %v", s.user, err)
		}
		if fmt.Sprint(sortedContents(now)) != fmt.Sprint(sortedContents(s.before)) {
			t.Errorf("%s: mailbox differs after reconnecting:\nbefore %v\nafter  %v", s.user, sortedContents(s.before), sortedContents(now))
		}
	}
	t.Logf("%d of %d sessions reconnected through haproxy to frontend 2", reconnected, len(sessions))

	// frontend 1 comes back with the same flags and ports.
	lc.sh(t, "start", "frontend1")
	var err error
	for try := 0; try < 100; try++ {
		var c *imapClient
		if c, err = lc.session(users[0], lc.env["FRONTEND1_IMAPS"]); err == nil {
			c.Close()
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("frontend 1 after restart: %v", err)
	}
}

func sortedContents(m map[string][]uint32) []string {
	var out []string
	for s, uids := range m {
		out = append(out, fmt.Sprintf("%s=%v", s, uids))
	}
	sort.Strings(out)
	return out
}

// testMetadataNodeDown takes node down with cluster.sh how: "stop" (SIGTERM:
// the node leaves the map) or "kill" (SIGKILL: a crash; its record stays
// until the lease expires, and the frontends find it unreachable).
func testMetadataNodeDown(t *testing.T, lc *localCluster, users []string, node, how string) {
	downID := lc.nodeID(t, node)
	m := lc.watch.Current()
	var down, up string
	for _, u := range users {
		owner, _, ok := m.OwnerOf(u)
		switch {
		case !ok:
		case owner.ID == downID && down == "":
			down = u
		case owner.ID != downID && up == "":
			up = u
		}
	}
	if down == "" || up == "" {
		t.Fatalf("need a user on %s and one elsewhere; map %v", downID, m.Nodes)
	}
	cd := lc.mustSession(t, down, "")
	cu := lc.mustSession(t, up, "")
	beforeDown, _, err := cd.mailboxContents("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cu.ok("SELECT INBOX"); err != nil {
		t.Fatal(err)
	}

	lc.sh(t, how, node)
	if how == "stop" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := lc.watch.WaitFor(ctx, func(m *cluster.ShardMap) bool { _, live := m.Nodes[downID]; return !live }); err != nil {
			t.Fatalf("%s still registered after stopping: %v", downID, err)
		}
	}

	// The user on the stopped node: commands fail cleanly, nothing is
	// served stale or from an empty store.
	for _, cmd := range []string{"STATUS Sent (MESSAGES UIDNEXT)", "UID FETCH 1:* (FLAGS)"} {
		r, err := cd.do("%s", cmd)
		if err != nil {
			t.Fatalf("%s while its node is down: connection lost: %v", cmd, err)
		}
		if !r.unavailable() {
			t.Errorf("%s while its node is down: %s, want NO [UNAVAILABLE]", cmd, r)
		}
	}
	if _, r, err := cd.appendMsg("INBOX", message("while-down")); err != nil || !r.unavailable() {
		t.Errorf("APPEND while its node is down: %v %v, want NO [UNAVAILABLE]", r, err)
	}
	if c, err := dialIMAP(lc.env["LB_IMAPS"], lc.tls, false); err != nil {
		t.Fatal(err)
	} else {
		r, err := c.do("LOGIN %s %s", down, password(down))
		c.Close()
		if err != nil || !r.unavailable() {
			t.Errorf("LOGIN while the user's node is down: %v %v, want NO [UNAVAILABLE]", r, err)
		}
	}
	// Other users do not notice.
	if _, r, err := cu.appendMsg("INBOX", message("others-unaffected")); err != nil || r.status != "OK" {
		t.Fatalf("user on a live node: APPEND %v %v", r, err)
	}

	lc.sh(t, "start", node)
	// The same session recovers by itself: retry until the node is back.
	var r *imapResponse
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, r, err = cd.appendMsg("INBOX", message("after-return"))
		if err != nil && r == nil {
			t.Fatalf("session lost while waiting for the node: %v", err)
		}
		if r.status == "OK" || !r.unavailable() || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r.status != "OK" {
		t.Fatalf("APPEND after the node returned: %v", r)
	}
	after, _, err := cd.mailboxContents("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(after["while-down"]) != 0 {
		t.Errorf("the APPEND refused while the node was down was stored: %v", after["while-down"])
	}
	if len(after["after-return"]) != 1 {
		t.Errorf("after-return stored %d times", len(after["after-return"]))
	}
	delete(after, "after-return")
	if fmt.Sprint(sortedContents(after)) != fmt.Sprint(sortedContents(beforeDown)) {
		t.Errorf("mailbox differs after the node returned:\nbefore %v\nafter  %v", sortedContents(beforeDown), sortedContents(after))
	}
}
