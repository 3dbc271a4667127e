package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const testMessage = "From: Alice <alice@example.org>\r\n" +
	"To: bob@example.org\r\n" +
	"Subject: hello from the integration test\r\n" +
	"Date: Wed, 25 Nov 2026 12:00:00 +0000\r\n" +
	"Message-ID: <it-1@example.org>\r\n" +
	"\r\n" +
	"Body text with a needle in it.\r\n"

// dial logs in to the server's implicit-TLS port with go-imap's client.
func dial(t *testing.T, s *server, user, pass string, h *imapclient.UnilateralDataHandler) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(s.imaps, &imapclient.Options{TLSConfig: s.tlsConfig(), UnilateralDataHandler: h})
	if err != nil {
		t.Fatalf("dial %s: %v", s.imaps, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}

func appendMessage(t *testing.T, c *imapclient.Client, mailbox, msg string) *imap.AppendData {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(msg)), nil)
	if _, err := cmd.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("APPEND to %s: %v", mailbox, err)
	}
	return data
}

func TestUserCommandsWithoutServer(t *testing.T) {
	dir := t.TempDir()
	addUser(t, dir, "alice", "s3cret")
	_, errOut, code := postbusCmd(t, "again\n", "user", "add", "alice", "--data", dir)
	if code == 0 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("second add: exit %d, stderr %q; want failure saying it already exists", code, errOut)
	}
	_, errOut, code = postbusCmd(t, "", "user", "add", "bob", "--data", dir)
	if code == 0 || !strings.Contains(errOut, "password") {
		t.Fatalf("add without password: exit %d, stderr %q", code, errOut)
	}
	addUser(t, dir, "bob", "pw")
	out, _, code := postbusCmd(t, "", "user", "list", "--data", dir)
	if code != 0 || strings.Fields(out)[0] != "alice" || len(strings.Fields(out)) != 2 {
		t.Fatalf("user list: exit %d, out %q; want alice and bob", code, out)
	}
	if _, errOut, code = postbusCmd(t, "newpw\n", "user", "passwd", "nobody", "--data", dir); code == 0 || !strings.Contains(errOut, "does not exist") {
		t.Fatalf("passwd unknown user: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code = postbusCmd(t, "", "user", "del", "bob", "--data", dir); code != 0 {
		t.Fatalf("del bob: exit %d, %s", code, errOut)
	}
	if _, errOut, code = postbusCmd(t, "", "user", "del", "bob", "--data", dir); code == 0 || !strings.Contains(errOut, "does not exist") {
		t.Fatalf("del bob twice: exit %d, stderr %q", code, errOut)
	}
	if _, _, code = postbusCmd(t, "", "user", "frobnicate", "--data", dir); code != 2 {
		t.Fatalf("unknown user subcommand: exit %d, want 2", code)
	}

	// The users created offline can log in once a server runs.
	s := startServer(t, dir)
	dial(t, s, "alice", "s3cret", nil).Logout().Wait()
}

func TestUserCommandsThroughAdminSocket(t *testing.T) {
	s := startServer(t, "")
	addUser(t, s.data, "carol", "pw1")
	c := dial(t, s, "carol", "pw1", nil)
	c.Logout().Wait()
	if _, errOut, code := postbusCmd(t, "pw2\n", "user", "passwd", "carol", "--data", s.data); code != 0 {
		t.Fatalf("passwd: exit %d: %s", code, errOut)
	}
	c2, err := imapclient.DialTLS(s.imaps, &imapclient.Options{TLSConfig: s.tlsConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Login("carol", "pw1").Wait(); err == nil {
		t.Fatal("old password still accepted after passwd")
	}
	if err := c2.Login("carol", "pw2").Wait(); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	// A second server on the same data directory refuses to start.
	cmd := exec.Command(postbusBin, "serve", "--data", s.data, "--imaps-addr", "127.0.0.1:0", "--imap-addr", "127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another postbus is running") {
		t.Fatalf("second serve on the same data dir: err %v, output %q", err, out)
	}
}

func TestPythonImaplib(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is required for this test (scripts/test.sh installs it):", err)
	}
	s := startServer(t, "")
	addUser(t, s.data, "pyuser", "py-pass-1")
	cmd := exec.Command(python, filepath.Join("testdata", "imaplib_client.py"))
	cmd.Env = append(os.Environ(),
		"POSTBUS_IMAPS="+s.imaps, "POSTBUS_IMAP="+s.imap, "POSTBUS_CA="+s.certFile,
		"POSTBUS_USER=pyuser", "POSTBUS_PASS=py-pass-1")
	out, err := cmd.CombinedOutput()
	t.Logf("imaplib:\n%s", out)
	if err != nil {
		t.Fatalf("imaplib client failed: %v\nserver stderr:\n%s", err, s.stderr)
	}
}

// TestIdleAcrossSessions: a session in IDLE hears of a message appended by
// another session within a second (issue 2).
func TestIdleAcrossSessions(t *testing.T) {
	s := startServer(t, "")
	addUser(t, s.data, "dave", "pw")
	exists := make(chan uint32, 8)
	a := dial(t, s, "dave", "pw", &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				exists <- *d.NumMessages
			}
		},
	})
	if _, err := a.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := a.Idle()
	if err != nil {
		t.Fatal(err)
	}
	b := dial(t, s, "dave", "pw", nil)
	appendMessage(t, b, "INBOX", testMessage)
	select {
	case n := <-exists:
		if n != 1 {
			t.Fatalf("EXISTS %d, want 1", n)
		}
	case <-time.After(time.Second):
		t.Fatal("no EXISTS within 1s of an APPEND by another session")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := a.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true, UID: true}).Collect()
	if err != nil || len(msgs) != 1 || msgs[0].Envelope.Subject != "hello from the integration test" {
		t.Fatalf("FETCH after IDLE: %v %+v", err, msgs)
	}
}

// TestAcknowledgedAppendSurvivesCrash: OK to APPEND means durable, even if
// the process is killed right after.
func TestAcknowledgedAppendSurvivesCrash(t *testing.T) {
	dir := t.TempDir()
	addUser(t, dir, "erin", "pw")
	s := startServer(t, dir)
	c := dial(t, s, "erin", "pw", nil)
	var uids []imap.UID
	for i := 0; i < 20; i++ {
		d := appendMessage(t, c, "INBOX", strings.Replace(testMessage, "needle", fmt.Sprintf("needle-%d", i), 1))
		uids = append(uids, d.UID)
	}
	c.Close()
	s.kill()

	s2 := startServer(t, dir)
	c2 := dial(t, s2, "erin", "pw", nil)
	sel, err := c2.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 20 {
		t.Fatalf("after crash: %d messages, want 20", sel.NumMessages)
	}
	msgs, err := c2.Fetch(imap.SeqSetNum(20), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].UID != uids[19] {
		t.Fatalf("UID %d after restart, want %d", msgs[0].UID, uids[19])
	}
	for _, body := range msgs[0].BodySection {
		if !strings.Contains(string(body.Bytes), "needle-19") {
			t.Fatalf("body after restart: %q", body.Bytes)
		}
	}
	// New UIDs continue above the old ones: never reused.
	d := appendMessage(t, c2, "INBOX", testMessage)
	if d.UID <= uids[19] {
		t.Fatalf("UID %d reused or lower after restart (last was %d)", d.UID, uids[19])
	}
}

// TestServeDefaults runs `postbus serve` with no flags at all, as the README
// says: data in ./postbus-data, IMAPS on 127.0.0.1:1993, IMAP on :1143.
func TestServeDefaults(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:1993", "127.0.0.1:1143"} {
		if l, err := net.Listen("tcp", addr); err != nil {
			t.Fatalf("default port %s is taken on this machine: %v", addr, err)
		} else {
			l.Close()
		}
	}
	wd := t.TempDir()
	cmd := exec.Command(postbusBin, "serve")
	cmd.Dir = wd
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, stderr: stderr, exited: make(chan error, 1), data: filepath.Join(wd, "postbus-data")}
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(s.stop)
	buf := make([]byte, 4096)
	done := make(chan string, 1)
	go func() {
		n, _ := out.Read(buf)
		done <- string(buf[:n])
	}()
	var line string
	select {
	case line = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("no ready line; stderr:\n%s", stderr)
	}
	for _, want := range []string{"imaps=127.0.0.1:1993", "imap=127.0.0.1:1143", "data=./postbus-data"} {
		if !strings.Contains(line, want) {
			t.Fatalf("ready line %q lacks %q", line, want)
		}
	}
	s.imaps = "127.0.0.1:1993"
	s.certFile = filepath.Join(wd, "postbus-data", "tls", "cert.pem")
	addUser(t, s.data, "frank", "pw")
	c := dial(t, s, "frank", "pw", nil)
	if err := c.Logout().Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(wd, "postbus-data", "metadata")); err != nil {
		t.Fatalf("metadata not under ./postbus-data: %v", err)
	}
}
