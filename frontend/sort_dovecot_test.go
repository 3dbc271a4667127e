package frontend

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dovecotbench "github.com/postbus/postbus/bench/dovecot"
)

// dovecotIMAP is Debian's dovecot-imapd IMAP process, which test.sh
// installs; run pre-authenticated on stdin/stdout it needs no listener.
const dovecotIMAP = "/usr/lib/dovecot/imap"

// dovecot is one pre-authenticated Dovecot IMAP session over pipes.
type dovecot struct {
	t   *testing.T
	in  io.WriteCloser
	out *bufio.Reader
	dir string // config, state and log
}

func startDovecot(t *testing.T) *dovecot {
	t.Helper()
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
	cmd := exec.Command(dovecotIMAP, "-c", cfg)
	cmd.Env = []string{"USER=" + user, "HOME=" + dir}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
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
	})
	d := &dovecot{t: t, in: in, out: bufio.NewReader(out), dir: dir}
	if l := d.line(); !strings.HasPrefix(l, "* PREAUTH") {
		t.Fatalf("dovecot greeting: %q", l)
	}
	return d
}

func (d *dovecot) line() string {
	d.t.Helper()
	l, err := d.out.ReadString('\n')
	if err != nil {
		d.t.Fatalf("dovecot: %v (so far %q)", err, l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// cmd sends one command (LITERAL+ for literals) and returns the untagged
// lines and the tagged one.
func (d *dovecot) cmd(tag, line string) ([]string, string) {
	d.t.Helper()
	if _, err := io.WriteString(d.in, tag+" "+line+"\r\n"); err != nil {
		d.t.Fatal(err)
	}
	var untagged []string
	for {
		l := d.line()
		if strings.HasPrefix(l, tag+" ") {
			return untagged, l
		}
		untagged = append(untagged, l)
	}
}

// randomThreadMailbox makes messages full of what SORT and THREAD must get
// right: subject artifacts (RFC 5256 §2.1), equal and missing dates,
// duplicate and missing Message-IDs, References loops and dangling parents.
func randomThreadMailbox(rng *rand.Rand, n int) []string {
	subjects := []string{
		"Hello", "Re: hello", "RE: [list] Hello", "Fwd: hello", "hello (fwd)", "[fwd: hello]",
		"[list] Re: Hello", "Re[2]: hello", "Other", "re: other", "Re: Re: other", "",
		"Re:", "[x]", "[x] [y] z", "fw: z", "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", "Re: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=",
		"Fwd: [fwd: Re: hello]", "  spaced\t  out  ", "Re: Fwd: [a] Re[3]: hello (fwd) (FWD)",
		"[fwd: [fwd: other]]", "[a]Re:other", "Re :other", "fwd:", "[]", "[ ] hello", "Re: [fwd: ]",
		"=?ISO-8859-1?Q?=E9t=E9?=", "Re: =?UTF-8?B?w4l0w6k=?=",
	}
	froms := []string{"", "Zed <zed@a.org>", "amy@b.org", "\"Doe, Al\" <al@c.org>", "=?UTF-8?Q?=C3=89mile?= <e@d.org>", "bea@d.org, cy@e.org", "Undisclosed:;"}
	dates := []string{"", "Wed, 25 Nov 2026 10:00:00 +0000", "Wed, 25 Nov 2026 11:00:00 +0100", "Wed, 25 Nov 2026 10:00:00 +0000",
		"Tue, 24 Nov 2026 23:59:59 -0500", "not a date", "Thu, 26 Nov 2026 09:00:00 +0000"}
	ids := []string{"a@x", "b@x", "c@x", "d@x", "e@x", "f@x", "g@x", "h@x", `"a"@x`, `"b\"q"@x`}
	var out []string
	for i := 0; i < n; i++ {
		var h strings.Builder
		if f := froms[rng.IntN(len(froms))]; f != "" {
			h.WriteString("From: " + f + "\r\n")
		}
		if f := froms[rng.IntN(len(froms))]; f != "" {
			h.WriteString("To: " + f + "\r\n")
		}
		if rng.IntN(3) == 0 {
			h.WriteString("Cc: " + froms[rng.IntN(len(froms))] + "\r\n")
		}
		h.WriteString("Subject: " + subjects[rng.IntN(len(subjects))] + "\r\n")
		if d := dates[rng.IntN(len(dates))]; d != "" {
			h.WriteString("Date: " + d + "\r\n")
		}
		if rng.IntN(6) != 0 {
			h.WriteString("Message-ID: <" + ids[rng.IntN(len(ids))] + ">\r\n")
		}
		switch rng.IntN(4) {
		case 0:
			h.WriteString("In-Reply-To: <" + ids[rng.IntN(len(ids))] + ">\r\n")
			if rng.IntN(2) == 0 {
				h.WriteString("References: junk without brackets\r\n")
			}
		case 1, 2:
			var refs []string
			for k := rng.IntN(4) + 1; k > 0; k-- {
				refs = append(refs, "<"+ids[rng.IntN(len(ids))]+">")
			}
			h.WriteString("References: " + strings.Join(refs, " ") + "\r\n")
		}
		out = append(out, h.String()+"\r\n"+strings.Repeat("x", rng.IntN(5)*100)+"\r\n")
	}
	return out
}

// TestSortThreadMatchDovecot loads the same random mailboxes into postbus
// and Dovecot and compares SORT and THREAD answers byte for byte.
func TestSortThreadMatchDovecot(t *testing.T) {
	// Install Debian's dovecot-imapd if missing (test.sh already does);
	// fail, never skip: a skipped comparison proves nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := dovecotbench.EnsureInstalled(ctx); err != nil {
		t.Fatalf("installing Dovecot: %v", err)
	}
	if _, err := os.Stat(dovecotIMAP); err != nil {
		t.Fatalf("Dovecot installed without %s: %v", dovecotIMAP, err)
	}
	cmds := []string{
		"SORT (DATE) UTF-8 ALL", "SORT (ARRIVAL) UTF-8 ALL", "SORT (SUBJECT) UTF-8 ALL",
		"SORT (REVERSE SUBJECT DATE) UTF-8 ALL", "SORT (FROM) UTF-8 ALL", "SORT (TO) UTF-8 ALL",
		"SORT (CC REVERSE ARRIVAL) UTF-8 ALL", "SORT (SIZE) UTF-8 ALL", "SORT (DISPLAYFROM) UTF-8 ALL",
		"SORT (DISPLAYTO) UTF-8 ALL", "UID SORT (SUBJECT) UTF-8 ALL",
		"THREAD ORDEREDSUBJECT UTF-8 ALL", "THREAD REFERENCES UTF-8 ALL", "UID THREAD REFERENCES UTF-8 ALL",
		"THREAD REFERENCES UTF-8 NOT SUBJECT other", "UID THREAD ORDEREDSUBJECT UTF-8 ALL",
		"THREAD REFERENCES UTF-8 1:10", "SORT (DATE) UTF-8 SUBJECT hello",
		"SORT (REVERSE DISPLAYFROM SIZE) UTF-8 NOT SUBJECT z",
		"SORT RETURN (MIN MAX COUNT ALL) (SUBJECT DATE) UTF-8 ALL", "UID SORT RETURN () (REVERSE DATE) UTF-8 ALL",
	}
	for seed := uint64(1); seed <= 8; seed++ { // 40 pass too; 8 keep the test short
		msgs := randomThreadMailbox(rand.New(rand.NewPCG(seed, 7)), 16+int(seed%4)*8)
		e := newEnv(t)
		r := e.rawTLS(t)
		r.login()
		dv := startDovecot(t)
		for i, m := range msgs {
			internal := fmt.Sprintf("%02d-Nov-2026 08:00:00 +0000", 1+i%5) // equal arrivals too
			r.appendAt("INBOX", internal, m)
			if _, tagged := dv.cmd("A", `APPEND INBOX () "`+internal+`" {`+itoa(len(m))+"+}\r\n"+m); !strings.HasPrefix(tagged, "A OK") {
				log, _ := os.ReadFile(filepath.Join(dv.dir, "log"))
				t.Fatalf("dovecot APPEND: %q\n%s", tagged, log)
			}
		}
		r.expect("s", "SELECT INBOX", "OK")
		if _, tagged := dv.cmd("s", "SELECT INBOX"); !strings.HasPrefix(tagged, "s OK") {
			t.Fatalf("dovecot SELECT: %q", tagged)
		}
		for _, c := range cmds {
			got := r.expect("t", c, "OK")
			want, tagged := dv.cmd("t", c)
			if !strings.HasPrefix(tagged, "t OK") {
				t.Fatalf("dovecot %s: %q", c, tagged)
			}
			if strings.Join(got, "\n") != strings.TrimSpace(strings.Join(want, "\n")) {
				t.Errorf("seed %d %s:\n postbus %q\n dovecot %q", seed, c, got, want)
			}
		}
		if t.Failed() {
			for i, m := range msgs {
				t.Logf("seed %d message %d:\n%s", seed, i+1, m[:strings.Index(m, "\r\n\r\n")])
			}
			return
		}
	}
}
