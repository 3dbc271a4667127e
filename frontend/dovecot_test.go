package frontend

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dovecotbench "github.com/postbus/postbus/bench/dovecot"
)

// dovecotIMAP is Debian's dovecot-imapd IMAP process, which test.sh
// installs; run pre-authenticated on stdin/stdout it needs no listener,
// no root and no port.
const dovecotIMAP = "/usr/lib/dovecot/imap"

// requireDovecot installs Debian's dovecot-imapd if missing (test.sh
// already does) and fails, never skips, when that is impossible: a skipped
// comparison proves nothing, and the project's test command provides
// Dovecot everywhere the tests run.
func requireDovecot(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := dovecotbench.EnsureInstalled(ctx); err != nil {
		t.Fatalf("installing Dovecot: %v", err)
	}
	if _, err := os.Stat(dovecotIMAP); err != nil {
		t.Fatalf("Dovecot installed without %s: %v", dovecotIMAP, err)
	}
}

// dovecot is one pre-authenticated Dovecot IMAP session over pipes, with
// its mail in a fresh Maildir.
type dovecot struct {
	t   testing.TB
	in  io.WriteCloser
	raw *os.File // stdout, for read deadlines
	out *bufio.Reader
	dir string // config, state and log
	cfg string // config file
	env []string
}

// startDovecot runs requireDovecot and starts a session; it is stopped
// when the test ends.
func startDovecot(t *testing.T) *dovecot {
	t.Helper()
	requireDovecot(t)
	dir := t.TempDir()
	// The test's temporary directories are 0700; Dovecot may run as
	// another user (below).
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	mail := filepath.Join(dir, "mail")
	if err := os.Mkdir(mail, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(mail, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	// Dovecot refuses to access mail as root: as root it runs as nobody.
	uid, gid, user := os.Getuid(), os.Getgid(), os.Getenv("USER")
	if uid == 0 {
		uid, gid, user = 65534, 65534, "nobody"
	} else if user == "" {
		if u, err := osuser.Current(); err == nil {
			user = u.Username
		}
	}
	conf := fmt.Sprintf("protocols = imap\nmail_location = maildir:%s\nbase_dir = %s/run\nstate_dir = %s/state\nlog_path = %s/log\nssl = no\nmail_uid = %d\nmail_gid = %d\nfirst_valid_uid = 0\nfirst_valid_gid = 0\n",
		mail, dir, dir, dir, uid, gid)
	cfg := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &dovecot{t: t, dir: dir, cfg: cfg, env: []string{"USER=" + user, "HOME=" + dir}}
	d.spawn()
	return d
}

// spawn starts the IMAP process (again, after Dovecot closed the
// connection: the Maildir stays) and reads its greeting.
func (d *dovecot) spawn() {
	t := d.t
	t.Helper()
	cmd := exec.Command(dovecotIMAP, "-c", d.cfg)
	cmd.Env = d.env
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// An os.Pipe rather than StdoutPipe: a pipe is pollable, so reads
	// can have deadlines and a stuck Dovecot fails the test, not hangs it.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = pw
	// Panics and fatal errors go to stderr before any log is opened.
	stderr, err := os.OpenFile(filepath.Join(d.dir, "stderr"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		pr.Close()
	})
	d.in, d.raw, d.out = in, pr, bufio.NewReader(pr)
	if l := d.line(); !strings.HasPrefix(l, "* PREAUTH") {
		t.Fatalf("dovecot greeting: %q", l)
	}
}

// log returns Dovecot's log and standard error, for failure messages.
func (d *dovecot) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "log"))
	e, _ := os.ReadFile(filepath.Join(d.dir, "stderr"))
	return string(b) + string(e)
}

// line reads one response line, with any literals it contains inlined
// ("{n}\r\n" and the n octets, as raw.line does).
func (d *dovecot) line() string {
	d.t.Helper()
	l, err := d.readLine()
	if err != nil {
		d.t.Fatalf("dovecot: %v\n%s", err, d.log())
	}
	return l
}

func (d *dovecot) readLine() (string, error) {
	d.raw.SetReadDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	for {
		l, err := d.out.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("%w (so far %q)", err, b.String()+l)
		}
		l = strings.TrimSuffix(l, "\r\n")
		b.WriteString(l)
		m := literalAtEnd.FindStringSubmatch(l)
		if m == nil {
			return b.String(), nil
		}
		n, _ := strconv.Atoi(m[1])
		buf := make([]byte, n)
		if _, err := io.ReadFull(d.out, buf); err != nil {
			return "", fmt.Errorf("reading a literal: %w", err)
		}
		b.WriteString("\r\n")
		b.Write(buf)
	}
}

// cmd sends one command (LITERAL+ for literals) and returns the untagged
// lines and the tagged one.
func (d *dovecot) cmd(tag, line string) ([]string, string) {
	d.t.Helper()
	untagged, tagged, err := d.tryCmd(tag, line)
	if err != nil {
		d.t.Fatalf("dovecot: %v\n%s", err, d.log())
	}
	return untagged, tagged
}

// tryCmd is cmd that returns an error when Dovecot closes the connection
// (it does after some failures, such as BINARY of an undecodable part)
// or stops answering.
func (d *dovecot) tryCmd(tag, line string) ([]string, string, error) {
	if _, err := io.WriteString(d.in, tag+" "+line+"\r\n"); err != nil {
		return nil, "", err
	}
	var untagged []string
	for {
		l, err := d.readLine()
		if err != nil {
			return untagged, "", err
		}
		if strings.HasPrefix(l, tag+" ") {
			return untagged, l, nil
		}
		untagged = append(untagged, l)
	}
}

// appendAt appends msg to mailbox with the given flag list (without
// parentheses) and internal date, and fails the test unless Dovecot says OK.
func (d *dovecot) appendAt(mailbox, flags, internal, msg string) {
	d.t.Helper()
	if _, tagged := d.cmd("A", "APPEND "+mailbox+" ("+flags+`) "`+internal+`" {`+itoa(len(msg))+"+}\r\n"+msg); !strings.HasPrefix(tagged, "A OK") {
		d.t.Fatalf("dovecot APPEND: %q\n%s", tagged, d.log())
	}
}
