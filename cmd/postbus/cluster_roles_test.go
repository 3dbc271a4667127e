package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/cluster/embedded"
)

// proc is a postbus role process started by a test.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	fields map[string]string // key=value words of the ready line
	stderr *lockedBuffer
	exited chan error
}

// startRole runs the binary with args and waits for a stdout line starting
// with readyPrefix.
func startRole(t *testing.T, readyPrefix string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(postbusBin, args...), fields: map[string]string{}, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, readyPrefix) {
				ready <- line
			}
		}
	}()
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(p.stop)
	select {
	case line := <-ready:
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				p.fields[k] = v
			}
		}
	case err := <-p.exited:
		t.Fatalf("%s exited before ready: %v\nstderr:\n%s", args[0], err, p.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("%s not ready after 60s\nstderr:\n%s", args[0], p.stderr)
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			p.t.Errorf("%s exited with %v after SIGTERM\nstderr:\n%s", p.cmd.Args[1], err, p.stderr)
		}
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		p.t.Errorf("%s did not stop within 20s of SIGTERM\nstderr:\n%s", p.cmd.Args[1], p.stderr)
	}
}

// TestClusterRoles runs a small cluster of processes against an etcd:
// two `postbus metadata` nodes and one `postbus frontend`. Users created
// with `postbus user add --etcd` log in through the frontend wherever their
// shard lives; a stopped node makes its users' commands fail with
// NO [UNAVAILABLE] and they work again once it is back, data intact.
func TestClusterRoles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	etcd, err := embedded.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close) // after the processes' cleanups: they stop first
	eps := strings.Join(etcd.Endpoints, ",")
	dir := t.TempDir()
	startNode := func(name string) *proc {
		return startRole(t, "postbus: metadata ready ", "metadata", "--etcd", eps, "--data", filepath.Join(dir, name),
			"--listen", "127.0.0.1:0", "--node-id", name, "--shards", "8", "--assign-delay", "0s", "--max-moves", "4")
	}
	nodes := map[string]*proc{"m1": startNode("m1"), "m2": startNode("m2")}
	fe := startRole(t, "postbus: frontend ready ", "frontend", "--etcd", eps, "--data", filepath.Join(dir, "fe"),
		"--imaps-addr", "127.0.0.1:0", "--imap-addr", "", "--lmtp-addr", "127.0.0.1:0")

	cli, err := (&embedded.Etcd{Endpoints: etcd.Endpoints}).Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	w, err := cluster.Watch(ctx, cli, "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	err = w.WaitFor(ctx, func(m *cluster.ShardMap) bool {
		return m.Complete() && len(m.Owned("m1")) == 4 && len(m.Owned("m2")) == 4
	})
	if err != nil {
		t.Fatalf("shards not spread over both nodes: %v", err)
	}

	users := []string{"ann", "ben", "cat", "dan", "eve", "fay"}
	byNode := map[string]string{}
	for _, u := range users {
		if out, errOut, code := postbusCmd(t, "pw-"+u+"\n", "user", "add", u, "--etcd", eps); code != 0 {
			t.Fatalf("user add %s --etcd: exit %d\n%s%s", u, code, out, errOut)
		}
		o, _, _ := w.OwnerOf(u)
		byNode[o.ID] = u
	}
	if len(byNode) != 2 {
		t.Fatalf("users all on one node: %v", byNode)
	}
	out, _, code := postbusCmd(t, "", "user", "list", "--etcd", eps)
	if code != 0 || strings.Join(strings.Fields(out), " ") != "ann ben cat dan eve fay" {
		t.Fatalf("user list --etcd: exit %d, %q", code, out)
	}

	tlsConf := func() *tls.Config {
		return (&server{t: t, certFile: fe.fields["cert"]}).tlsConfig()
	}
	login := func(u string) (*imapclient.Client, error) {
		c, err := imapclient.DialTLS(fe.fields["imaps"], &imapclient.Options{TLSConfig: tlsConf()})
		if err != nil {
			return nil, err
		}
		if err := c.Login(u, "pw-"+u).Wait(); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	for _, u := range users {
		c, err := login(u)
		if err != nil {
			t.Fatalf("login %s through the frontend: %v", u, err)
		}
		data := appendMessage(t, c, "INBOX", testMessage)
		if data.UID != 1 {
			t.Errorf("%s: first APPEND got UID %d", u, data.UID)
		}
		c.Close()
	}

	// The frontend role takes mail in by LMTP too (issue 6), routing each
	// recipient to its node: one transaction to a user of each node and an
	// unknown one.
	if fe.fields["lmtp"] == "" {
		t.Fatalf("frontend ready line lacks lmtp=: %v", fe.fields)
	}
	rcptErr, dataErr := lmtpSend(t, "tcp", fe.fields["lmtp"], lmtpMessage,
		byNode["m1"]+"@example.org", byNode["m2"]+"@example.org", "nobody@example.org")
	var se *smtp.SMTPError
	if len(dataErr) != 0 || len(rcptErr) != 1 || !errors.As(rcptErr["nobody@example.org"], &se) ||
		se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
		t.Fatalf("LMTP through the frontend role: RCPT errors %v, DATA errors %v; want only nobody refused with 550 5.1.1", rcptErr, dataErr)
	}
	for _, u := range []string{byNode["m1"], byNode["m2"]} {
		c, err := login(u)
		if err != nil {
			t.Fatal(err)
		}
		sel, err := c.Select("INBOX", nil).Wait()
		if err != nil || sel.NumMessages != 2 {
			t.Fatalf("%s after LMTP through the frontend: %v messages, err %v; want 2", u, sel, err)
		}
		c.Close()
	}

	// Stop m2: its users fail cleanly, m1's users do not notice.
	down, up := byNode["m2"], byNode["m1"]
	m2dir := filepath.Join(dir, "m2")
	nodes["m2"].stop()
	if err := w.WaitFor(ctx, func(m *cluster.ShardMap) bool { _, ok := m.Nodes["m2"]; return !ok }); err != nil {
		t.Fatal(err)
	}
	_, err = login(down)
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeUnavailable {
		t.Fatalf("login of %s with its node down: %v, want NO [UNAVAILABLE]", down, err)
	}
	c, err := login(up)
	if err != nil {
		t.Fatalf("login of %s on the live node: %v", up, err)
	}
	appendMessage(t, c, "INBOX", testMessage)
	c.Close()

	// m2 comes back on another port with its data; nobody touches the map.
	nodes["m2"] = startRole(t, "postbus: metadata ready ", "metadata", "--etcd", eps, "--data", m2dir,
		"--listen", "127.0.0.1:0", "--shards", "8")
	var back *imapclient.Client
	deadline := time.Now().Add(30 * time.Second)
	for {
		back, err = login(down)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still failing after its node returned: %v", down, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer back.Close()
	sel, err := back.Select("INBOX", nil).Wait()
	// Its APPENDed and its LMTP-delivered message.
	if err != nil || sel.NumMessages != 2 || sel.UIDNext != 3 {
		t.Fatalf("INBOX of %s after the return: %+v, %v; want its two messages", down, sel, err)
	}
	if data := appendMessage(t, back, "INBOX", testMessage); data.UID != 3 {
		t.Errorf("APPEND after the return got UID %d, want 3", data.UID)
	}

	// A third node with --drain-on-exit takes shards, and on SIGTERM hands
	// them back before it exits: nobody's mail becomes unavailable.
	m3 := startRole(t, "postbus: metadata ready ", "metadata", "--etcd", eps, "--data", filepath.Join(dir, "m3"),
		"--listen", "127.0.0.1:0", "--node-id", "m3", "--drain-on-exit", "30s")
	if err := w.WaitFor(ctx, func(m *cluster.ShardMap) bool { return m.Complete() && len(m.Owned("m3")) == 2 }); err != nil {
		t.Fatalf("m3 got no shards: %v", err)
	}
	out, _, code = postbusCmd(t, "", "cluster", "status", "--etcd", eps)
	shardsOf := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 5 {
			shardsOf[f[0]] = f[3] // NODE ADDR VERSION SHARDS STATE
		}
	}
	if code != 0 || !strings.Contains(out, "shards 8") || !strings.Contains(out, `controller "m1"`) ||
		shardsOf["m1"] != "3" || shardsOf["m2"] != "3" || shardsOf["m3"] != "2" {
		t.Fatalf("cluster status: exit %d\n%s", code, out)
	}
	m3.stop()
	m := w.Current()
	if n := len(m.Owned("m3")); n != 0 || !m.Complete() || m.Draining["m3"] {
		t.Fatalf("after m3 drained and stopped: owns %d, complete %v, drain mark %v", n, m.Complete(), m.Draining["m3"])
	}
	for _, u := range users {
		c, err := login(u)
		if err != nil {
			t.Fatalf("login %s after m3 left: %v", u, err)
		}
		sel, err := c.Select("INBOX", nil).Wait()
		if err != nil || sel.NumMessages == 0 {
			t.Errorf("%s after m3 left: %+v, %v", u, sel, err)
		}
		c.Close()
	}
}
