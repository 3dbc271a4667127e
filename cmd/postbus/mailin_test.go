package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/postbus/postbus/blobstore"
)

// startServerReady is startServer that also returns every KEY=VALUE of the
// ready line (for lmtp=, which the shared harness does not parse).
func startServerReady(t *testing.T, extra ...string) (*server, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"serve", "--data", dir, "--imaps-addr", "127.0.0.1:0", "--imap-addr", "127.0.0.1:0"}, extra...)
	s := &server{t: t, data: dir, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	s.cmd = exec.Command(postbusBin, args...)
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "postbus: ready ") {
				ready <- line
			}
		}
	}()
	go func() { s.exited <- s.cmd.Wait() }()
	t.Cleanup(s.stop)
	fields := map[string]string{}
	select {
	case line := <-ready:
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				fields[k] = v
			}
		}
	case err := <-s.exited:
		t.Fatalf("postbus serve exited before ready: %v\nstderr:\n%s", err, s.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("postbus serve not ready after 60s\nstderr:\n%s", s.stderr)
	}
	s.imaps, s.imap, s.certFile = fields["imaps"], fields["imap"], fields["cert"]
	return s, fields
}

func lmtpSend(t *testing.T, network, addr, body string, rcpts ...string) (rcptErr map[string]error, dataErr map[string]*smtp.SMTPError) {
	t.Helper()
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mta.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("sender@example.net", nil); err != nil {
		t.Fatal(err)
	}
	rcptErr = map[string]error{}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			rcptErr[r] = err
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, body); err != nil {
		t.Fatal(err)
	}
	_, err = w.CloseWithLMTPResponse()
	var lerr smtp.LMTPDataError
	if err != nil && !errors.As(err, &lerr) {
		t.Fatalf("DATA: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Errorf("QUIT: %v", err)
	}
	return rcptErr, lerr
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

const lmtpMessage = "From: sender@example.net\r\nTo: team@example.org\r\nSubject: delivered by LMTP\r\n" +
	"Message-ID: <lmtp-1@example.net>\r\n\r\nHello over LMTP.\r\n"

// TestLMTPIntoIMAP delivers with go-smtp's LMTP client to a real `postbus
// serve` (TCP and unix socket) and reads the mail back over IMAP.
func TestLMTPIntoIMAP(t *testing.T) {
	sockDir, err := os.MkdirTemp("", "pb-lmtp-") // unix socket paths are short
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "lmtp.sock")
	s, fields := startServerReady(t, "--lmtp-addr", "127.0.0.1:0", "--lmtp-socket", sock, "--lmtp-max-size", "4096")
	if fields["lmtp"] == "" || fields["lmtp-socket"] != sock {
		t.Fatalf("ready line fields %v: want lmtp= and lmtp-socket=", fields)
	}
	addUser(t, s.data, "alice", "pw-a")
	addUser(t, s.data, "bob", "pw-b")
	a := dial(t, s, "alice", "pw-a", nil)
	if err := a.Create("Lists/Team", nil).Wait(); err != nil {
		t.Fatal(err)
	}

	rcptErr, dataErr := lmtpSend(t, "tcp", fields["lmtp"], lmtpMessage,
		"alice@example.org", "nobody@example.org", "bob@example.org", "alice+lists/team@example.org")
	if len(rcptErr) != 1 || smtpCode(rcptErr["nobody@example.org"]) != 550 {
		t.Errorf("RCPT errors %v: want 550 for nobody only", rcptErr)
	}
	if len(dataErr) != 0 {
		t.Errorf("DATA errors %v", dataErr)
	}
	// Over the unix socket; too big for --lmtp-max-size.
	_, dataErr = lmtpSend(t, "unix", sock, lmtpMessage+strings.Repeat(strings.Repeat("x", 98)+"\r\n", 50), "bob@example.org")
	if smtpCode(dataErr["bob@example.org"]) != 552 {
		t.Errorf("oversized: %v, want 552", dataErr)
	}
	_, dataErr = lmtpSend(t, "unix", sock, strings.Replace(lmtpMessage, "lmtp-1", "lmtp-2", 1), "bob+NoSuchFolder@example.org")
	if len(dataErr) != 0 {
		t.Errorf("second message over the socket: %v", dataErr)
	}

	subjects := func(c *imapclient.Client, mailbox string) []string {
		t.Helper()
		sel, err := c.Select(mailbox, nil).Wait()
		if err != nil {
			t.Fatalf("SELECT %s: %v", mailbox, err)
		}
		if sel.NumMessages == 0 {
			return nil
		}
		msgs, err := c.Fetch(imap.SeqSetNum(1, sel.NumMessages), &imap.FetchOptions{Envelope: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range msgs {
			for _, b := range m.BodySection {
				if !strings.Contains(string(b.Bytes), "Hello over LMTP.") {
					t.Errorf("%s: body %q", mailbox, b.Bytes)
				}
			}
			out = append(out, m.Envelope.MessageID)
		}
		return out
	}
	if got := subjects(a, "INBOX"); len(got) != 1 || got[0] != "lmtp-1@example.net" {
		t.Errorf("alice INBOX: %q", got)
	}
	if got := subjects(a, "Lists/Team"); len(got) != 1 {
		t.Errorf("alice Lists/Team: %q", got)
	}
	b := dial(t, s, "bob", "pw-b", nil)
	if got := subjects(b, "INBOX"); len(got) != 2 || got[0] != "lmtp-1@example.net" || got[1] != "lmtp-2@example.net" {
		t.Errorf("bob INBOX: %q", got)
	}
	// One body for three deliveries of the first message, one for the
	// second; the refused one is not stored.
	if n := countBlobs(t, filepath.Join(s.data, "blobs")); n != 2 {
		t.Errorf("%d bodies in DATA/blobs, want 2", n)
	}
}

func countBlobs(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && blobstore.ValidID(d.Name()) {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

const cliMbox = "From a@example.org Tue Mar 17 12:34:56 2009\n" +
	"Subject: m1\nStatus: RO\nX-Status: A\n\n>From quoted\nbody 1\n\n" +
	"From b@example.org Wed Mar 18 12:34:56 2009\n" +
	"Subject: m2\nX-Keywords: Work\n\nbody 2\n\n" +
	"From c@example.org Thu Mar 19 12:34:56 2009\n" +
	"not a header line\n\n"

// TestImportExportCLI runs `postbus import` twice over an mbox and a
// Maildir++ tree without a server, then `postbus export`, and checks the
// counts, idempotency and the exported tree; then imports into a running
// server through its admin socket and reads the result over IMAP.
func TestImportExportCLI(t *testing.T) {
	dir := t.TempDir()
	addUser(t, dir, "carol", "pw-c")
	src := t.TempDir()
	mboxPath := filepath.Join(src, "old.mbox")
	if err := os.WriteFile(mboxPath, []byte(cliMbox), 0o600); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(src, "Maildir")
	for name, content := range map[string]string{
		"cur/1600000000.M1P1.h:2,S":                "Subject: d1\n\ninbox\n",
		".Projects/cur/1600000001.M2P1.h:2,Fa":     "Subject: d2\n\nproject\n",
		".Projects/dovecot-keywords":               "0 $Urgent\n",
		".Projects.Old/new/1600000002.M3P1.h":      "Subject: d3\n\nnested\n",
		".Projects.Old/cur/1600000003.M4P1.h:2,RS": "",
	} {
		p := filepath.Join(md, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(md, "new"), 0o700)

	run := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		out, errOut, code := postbusCmd(t, "", args...)
		if code != wantCode {
			t.Fatalf("postbus %q: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, out, errOut)
		}
		return out, errOut
	}
	for i, want := range []string{"3 read, 2 imported, 0 already there, 1 broken", "3 read, 0 imported, 2 already there, 1 broken"} {
		out, errOut := run(0, "import", "--user", "carol", "--mbox", mboxPath, "--mailbox", "Archive/2009", "--data", dir)
		if !strings.Contains(out, want) || !strings.Contains(errOut, "old.mbox:15") {
			t.Errorf("mbox import %d: stdout %q stderr %q", i, out, errOut)
		}
	}
	for i, want := range []string{"4 read, 3 imported, 0 already there, 1 broken", "4 read, 0 imported, 3 already there, 1 broken"} {
		out, errOut := run(0, "import", "--user", "carol", "--maildir", md, "--data", dir)
		if !strings.Contains(out, want) || !strings.Contains(errOut, "M4P1") {
			t.Errorf("maildir import %d: stdout %q stderr %q", i, out, errOut)
		}
	}
	// Usage and user errors.
	run(2, "import", "--user", "carol", "--data", dir)
	run(2, "import", "--user", "carol", "--mbox", mboxPath, "--maildir", md, "--data", dir)
	if _, errOut := run(1, "import", "--user", "nobody", "--mbox", mboxPath, "--data", dir); !strings.Contains(errOut, "does not exist") {
		t.Errorf("unknown user: %q", errOut)
	}

	out := filepath.Join(t.TempDir(), "export")
	if o, _ := run(0, "export", "--user", "carol", "--maildir", out, "--data", dir); !strings.Contains(o, "5 messages") {
		t.Errorf("export: %q", o)
	}
	got := maildirListing(t, out)
	want := []string{
		".Archive.2009/cur: 2009-03-17 R,S m1",
		".Archive.2009/cur: 2009-03-18 a m2",
		".Projects.Old/cur: 2020-09-13 d3",
		".Projects/cur: 2020-09-13 F,a d2",
		"cur: 2020-09-13 S d1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("exported tree:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if kw, _ := os.ReadFile(filepath.Join(out, ".Archive.2009", "dovecot-keywords")); string(kw) != "0 Work\n" {
		t.Errorf("keywords file %q", kw)
	}
	if body, _ := os.ReadFile(filepath.Join(out, ".Archive.2009", "cur", firstFile(t, filepath.Join(out, ".Archive.2009", "cur")))); string(body) != "Subject: m1\n\nFrom quoted\nbody 1\n" {
		t.Errorf("exported body %q", body)
	}

	// Against a running server: the admin socket is used, bodies go to
	// DATA/blobs, and IMAP sees the result at once.
	s := startServer(t, dir)
	dave := filepath.Join(src, "dave.mbox")
	os.WriteFile(dave, []byte("From x Tue Mar 17 12:34:56 2009\nSubject: live\n\nlive import\n"), 0o600)
	if o, _ := run(0, "import", "--user", "carol", "--mbox", dave, "--data", dir); !strings.Contains(o, "1 imported") {
		t.Errorf("import into a running server: %q", o)
	}
	c := dial(t, s, "carol", "pw-c", nil)
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil || sel.NumMessages != 2 {
		t.Fatalf("INBOX after live import: %v %v", sel, err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{Envelope: true, InternalDate: true}).Collect()
	if err != nil || msgs[0].Envelope.Subject != "live" || msgs[0].InternalDate.Year() != 2009 {
		t.Errorf("live-imported message: %+v %v", msgs, err)
	}
}

// maildirListing renders every message file of a Maildir++ tree as
// "DIR: DATE FLAGS SUBJECT", sorted.
func maildirListing(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || filepath.Base(filepath.Dir(p)) != "cur" {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		info := d.Name()[strings.Index(d.Name(), ":2,")+3:]
		letters := strings.Split(info, "")
		body, _ := os.ReadFile(p)
		subject := ""
		for _, l := range strings.Split(string(body), "\n") {
			if s, ok := strings.CutPrefix(l, "Subject: "); ok {
				subject = s
			}
		}
		st, _ := os.Stat(p)
		line := rel + ": " + st.ModTime().UTC().Format("2006-01-02")
		if info != "" {
			line += " " + strings.Join(letters, ",")
		}
		out = append(out, line+" "+subject)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func firstFile(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		t.Fatalf("no file in %s: %v", dir, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	return entries[0].Name()
}
