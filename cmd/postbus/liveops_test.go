package main

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// rawIMAP is a line-level IMAP session over TLS.
type rawIMAP struct {
	t  *testing.T
	c  *tls.Conn
	br *bufio.Reader
}

func dialRawTLS(t *testing.T, addr string, conf *tls.Config) *rawIMAP {
	t.Helper()
	c, err := tls.Dial("tcp", addr, conf)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	r := &rawIMAP{t: t, c: c, br: bufio.NewReader(c)}
	if g := r.line(); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting %q", g)
	}
	return r
}

func (r *rawIMAP) line() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	l, err := r.br.ReadString('\n')
	if err != nil {
		r.t.Fatalf("read: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

// cmd sends a command and returns the tagged answer, failing unless OK.
func (r *rawIMAP) cmd(tag, line string) []string {
	r.t.Helper()
	if _, err := r.c.Write([]byte(tag + " " + line + "\r\n")); err != nil {
		r.t.Fatal(err)
	}
	var untagged []string
	for {
		l := r.line()
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, tag+" OK") {
				r.t.Fatalf("%s: %q", line, l)
			}
			return untagged
		}
		untagged = append(untagged, l)
	}
}

// untilBye reads to the BYE line and then expects the connection to close.
func (r *rawIMAP) untilBye() string {
	r.t.Helper()
	for {
		l := r.line()
		if strings.HasPrefix(l, "* BYE") {
			r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
			if rest, err := r.br.ReadString('\n'); err == nil {
				r.t.Errorf("after %q: %q, want the connection closed", l, rest)
			}
			return l
		}
	}
}

// TestSIGTERMDuringIdle: a session in IDLE is told BYE with the reason and
// the process exits 0.
func TestSIGTERMDuringIdle(t *testing.T) {
	s := startServer(t, "")
	addUser(t, s.data, "alice", "pw-alice-123")
	r := dialRawTLS(t, s.imaps, s.tlsConfig())
	r.cmd("a", `LOGIN alice pw-alice-123`)
	r.cmd("b", "SELECT INBOX")
	r.c.Write([]byte("c IDLE\r\n"))
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	if bye := r.untilBye(); bye != "* BYE server shutting down" {
		t.Errorf("BYE line %q", bye)
	}
	select {
	case err := <-s.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, s.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit within 20 s of SIGTERM")
	}
}

// certSerial is the serial number of the first certificate in a PEM file.
func certSerial(t *testing.T, certPEM []byte) string {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	if b == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber.Text(16)
}

// TestSIGHUPReloadsCertificate replaces the certificate files (given by
// flags, or the self-signed default in DATA/tls), sends SIGHUP, and checks
// that a new connection gets the new certificate while a session opened
// before keeps working.
func TestSIGHUPReloadsCertificate(t *testing.T) {
	for _, mode := range []string{"flags", "self-signed"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			certFile, keyFile := filepath.Join(dir, "tls", "cert.pem"), filepath.Join(dir, "tls", "key.pem")
			var extra []string
			if mode == "flags" {
				certFile, keyFile = filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
				c, k, err := selfSignedPEM()
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(certFile, c, 0o600)
				os.WriteFile(keyFile, k, 0o600)
				extra = []string{"--tls-cert", certFile, "--tls-key", keyFile}
			}
			s := startServer(t, dir, extra...)
			addUser(t, s.data, "alice", "pw-alice-123")
			insecure := &tls.Config{InsecureSkipVerify: true}
			old := dialRawTLS(t, s.imaps, insecure)
			old.cmd("a", `LOGIN alice pw-alice-123`)
			oldSerial := old.c.ConnectionState().PeerCertificates[0].SerialNumber.Text(16)

			c, k, err := selfSignedPEM()
			if err != nil {
				t.Fatal(err)
			}
			// The key first: a reload between the two writes fails (the
			// pair does not match) and keeps the old certificate.
			if err := writeFileSync(keyFile, k, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := writeFileSync(certFile, c, 0o644); err != nil {
				t.Fatal(err)
			}
			newSerial := certSerial(t, c)
			if newSerial == oldSerial {
				t.Fatal("test made the same serial twice")
			}
			s.cmd.Process.Signal(syscall.SIGHUP)
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(s.stderr.String(), "TLS certificate reloaded") {
				if time.Now().After(deadline) {
					t.Fatalf("no reload logged\n%s", s.stderr)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(s.stderr.String(), "serial "+newSerial) {
				t.Errorf("reload log does not name the new serial %s\n%s", newSerial, s.stderr)
			}
			fresh := dialRawTLS(t, s.imaps, insecure)
			if got := fresh.c.ConnectionState().PeerCertificates[0].SerialNumber.Text(16); got != newSerial {
				t.Errorf("new connection got serial %s, want %s (old %s)", got, newSerial, oldSerial)
			}
			fresh.cmd("a", `LOGIN alice pw-alice-123`)
			old.cmd("b", "NOOP")
			old.cmd("c", "SELECT INBOX")
			if s.cmd.ProcessState != nil {
				t.Fatal("server exited on SIGHUP")
			}
		})
	}
}

// TestAdminCommands runs mailboxes, kick, user rename and status against
// a running server and then a stopped one.
func TestAdminCommands(t *testing.T) {
	s := startServer(t, "")
	addUser(t, s.data, "alice", "pw-alice-123")
	addUser(t, s.data, "bob", "pw-bob-12345")
	c := dial(t, s, "alice", "pw-alice-123", nil)
	appendMessage(t, c, "INBOX", "Subject: hi\r\n\r\nhello\r\n")
	c.Close()

	out, errOut, code := postbusCmd(t, "", "mailboxes", "alice", "--data", s.data)
	if code != 0 || !strings.Contains(out, "INBOX") || !strings.Contains(out, "(6 mailboxes)") {
		t.Fatalf("mailboxes: %d %q %q", code, out, errOut)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(strings.TrimSpace(l), "INBOX") && !strings.HasPrefix(strings.TrimSpace(l), "1 ") {
			t.Errorf("INBOX line %q, want 1 message", l)
		}
	}
	if _, errOut, code := postbusCmd(t, "", "mailboxes", "nobody", "--data", s.data); code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("mailboxes of nobody: %d %q", code, errOut)
	}

	r := dialRawTLS(t, s.imaps, s.tlsConfig())
	r.cmd("a", `LOGIN alice pw-alice-123`)
	b := dialRawTLS(t, s.imaps, s.tlsConfig())
	b.cmd("a", `LOGIN bob pw-bob-12345`)
	if out, errOut, code := postbusCmd(t, "", "kick", "alice", "--data", s.data); code != 0 || !strings.Contains(out, "logged out") {
		t.Fatalf("kick: %d %q %q", code, out, errOut)
	}
	if bye := r.untilBye(); bye != "* BYE [UNAVAILABLE] logged out by an administrator" {
		t.Errorf("kicked session: %q", bye)
	}
	b.cmd("b", "NOOP")

	if out, errOut, code := postbusCmd(t, "", "user", "rename", "alice", "bob", "--data", s.data); code != 1 || !strings.Contains(errOut, "bob already exists") {
		t.Errorf("rename onto bob: %d %q %q", code, out, errOut)
	}
	if out, errOut, code := postbusCmd(t, "", "user", "rename", "alice", "carol", "--data", s.data); code != 0 {
		t.Fatalf("rename: %d %q %q", code, out, errOut)
	}
	c = dial(t, s, "carol", "pw-alice-123", nil)
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil || sel.NumMessages != 1 {
		t.Fatalf("carol's INBOX: %v, %v", sel, err)
	}
	c.Close()

	out, _, code = postbusCmd(t, "", "status", "--data", s.data)
	if code != 0 || !strings.Contains(out, "running") || !strings.Contains(out, "users     2") {
		t.Errorf("status: %d\n%s", code, out)
	}
	s.stop()
	out, _, code = postbusCmd(t, "", "status", "--data", s.data)
	if code != 0 || !strings.Contains(out, "stopped") {
		t.Errorf("status of a stopped server: %d\n%s", code, out)
	}
	out, _, code = postbusCmd(t, "", "user", "list", "--data", s.data)
	if code != 0 || out != "bob\ncarol\n" {
		t.Errorf("user list after rename: %q", out)
	}
}

// TestGCCommand: `postbus gc` against a running and a stopped server
// deletes an old unreferenced body and keeps a referenced and a young one.
func TestGCCommand(t *testing.T) {
	s := startServer(t, "", "--gc-interval", "0")
	addUser(t, s.data, "alice", "pw-alice-123")
	c := dial(t, s, "alice", "pw-alice-123", nil)
	msg := "Subject: keep\r\n\r\nreferenced\r\n"
	appendMessage(t, c, "INBOX", msg)
	put := func(body string, age time.Duration) string {
		sum := sha256.Sum256([]byte(body))
		id := hex.EncodeToString(sum[:])
		p := filepath.Join(s.data, "blobs", id[:2], id[2:4], id)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		when := time.Now().Add(-age)
		os.Chtimes(p, when, when)
		return p
	}
	// The referenced body is old too: only references keep it.
	sum := sha256.Sum256([]byte(msg))
	ref := hex.EncodeToString(sum[:])
	refPath := filepath.Join(s.data, "blobs", ref[:2], ref[2:4], ref)
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(refPath, old, old); err != nil {
		t.Fatal(err)
	}
	garbage := put("Subject: gone\r\n\r\nnobody\r\n", 48*time.Hour)
	young := put("Subject: young\r\n\r\njust put\r\n", time.Minute)

	out, errOut, code := postbusCmd(t, "", "gc", "--dry-run", "--data", s.data)
	if code != 0 || !strings.Contains(out, "would delete 1 blobs") || !strings.Contains(out, "3 blobs") {
		t.Fatalf("gc --dry-run: %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(garbage); err != nil {
		t.Fatalf("dry run deleted: %v", err)
	}
	out, errOut, code = postbusCmd(t, "", "gc", "--data", s.data)
	if code != 0 || !strings.Contains(out, "deleted 1 blobs") {
		t.Fatalf("gc: %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(garbage); err == nil {
		t.Error("old garbage survived")
	}
	for _, p := range []string{young, refPath} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("kept blob deleted: %v", err)
		}
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	f, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(f) != 1 || len(f[0].BodySection) != 1 || string(f[0].BodySection[0].Bytes) != msg {
		t.Fatalf("fetch after gc: %v, %v", f, err)
	}
	c.Close()
	s.stop()
	out, errOut, code = postbusCmd(t, "", "gc", "--grace", "30s", "--data", s.data)
	if code != 0 || !strings.Contains(out, "deleted 1 blobs") {
		t.Fatalf("gc of a stopped server, young blob now old enough: %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(refPath); err != nil {
		t.Errorf("referenced blob deleted offline: %v", err)
	}
}
