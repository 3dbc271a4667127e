package target

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/emersion/go-imap/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/bench/postbusd"
)

// step is one exchange of a scripted server: it reads a line (without
// CRLF) that must equal expect, then writes reply. An empty expect writes
// reply without reading (the greeting); the step hangUp closes the
// connection.
type step struct{ expect, reply string }

var hangUp = step{"\x00hang up", ""}

// scriptServer serves one connection on 127.0.0.1 by the script and
// reports the first deviation on the returned channel (nil: all steps done).
func scriptServer(t *testing.T, steps []step) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(30 * time.Second))
		br := bufio.NewReader(c)
		for i, s := range steps {
			if s == hangUp {
				done <- nil
				return
			}
			if s.expect != "" {
				line, err := br.ReadString('\n')
				if err != nil {
					done <- fmt.Errorf("step %d: %w", i, err)
					return
				}
				if got := strings.TrimSuffix(line, "\r\n"); got != s.expect {
					done <- fmt.Errorf("step %d: client sent %q, want %q", i, got, s.expect)
					return
				}
			}
			if _, err := c.Write([]byte(s.reply)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
		// Hold the connection until the client closes it.
		br.ReadString(0)
	}()
	return ln.Addr().String(), done
}

const (
	greeting    = "* OK [CAPABILITY IMAP4rev1] ready\r\n"
	examineOK   = "* FLAGS (\\Seen)\r\n* 3 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* LIST () \"/\" {5}\r\nINBOX\r\nR2 OK [READ-ONLY] done\r\n"
	examineLine = `R2 EXAMINE "INBOX"`
)

func TestDialRawScripted(t *testing.T) {
	cases := []struct {
		name    string
		pass    string
		mailbox string
		steps   []step
		errText string // "": DialRaw succeeds
	}{
		{"quoted password with specials", `p"w\1`, "INBOX", []step{{"", greeting},
			{`R1 LOGIN "u1" "p\"w\\1"`, "R1 OK logged in\r\n"}, {examineLine, examineOK}}, ""},
		{"UTF-8 password as a literal", "pässwörd", "INBOX", []step{{"", greeting},
			{`R1 LOGIN "u1" {10}`, "* OK keep going\r\n+ go ahead\r\n"}, {"pässwörd", "R1 OK logged in\r\n"}, {examineLine, examineOK}}, ""},
		{"CRLF in a password", "a\r\nb", "INBOX", []step{{"", greeting},
			{`R1 LOGIN "u1" {4}`, "+\r\n"}, {"a", ""}, {"b", "R1 OK logged in\r\n"}, {examineLine, examineOK}}, ""},
		{"literal refused", "pässwörd", "INBOX", []step{{"", greeting},
			{`R1 LOGIN "u1" {10}`, "R1 NO [AUTHENTICATIONFAILED] no literals\r\n"}}, "NO [AUTHENTICATIONFAILED] no literals"},
		{"wrong password", "x", "INBOX", []step{{"", greeting},
			{`R1 LOGIN "u1" "x"`, "R1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"}}, "LOGIN u1"},
		{"NUL in password", "a\x00b", "INBOX", []step{{"", greeting}}, "NUL"},
		{"greeting BYE", "x", "INBOX", []step{{"", "* BYE too many connections\r\n"}}, "BYE too many connections"},
		{"greeting PREAUTH", "x", "INBOX", []step{{"", "* PREAUTH welcome\r\n"}}, "PREAUTH"},
		{"greeting garbage", "x", "INBOX", []step{{"", "HTTP/1.1 400 Bad Request\r\n"}}, "greeting"},
		{"EXAMINE refused", "x", "Nope", []step{{"", greeting},
			{`R1 LOGIN "u1" "x"`, "R1 OK\r\n"}, {`R2 EXAMINE "Nope"`, "R2 NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n"}}, "EXAMINE Nope"},
		{"non-ASCII mailbox", "x", "Entwürfe", []step{{"", greeting},
			{`R1 LOGIN "u1" "x"`, "R1 OK\r\n"}}, "ASCII mailbox names only"},
		{"BYE during LOGIN", "x", "INBOX", []step{{"", greeting},
			{`R1 LOGIN "u1" "x"`, "* BYE going down\r\n"}}, "BYE going down"},
		{"connection closed during EXAMINE", "x", "INBOX", []step{{"", greeting},
			{`R1 LOGIN "u1" "x"`, "R1 OK\r\n"}, {examineLine, "* 3 EXISTS\r\n"}, hangUp}, "closed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, done := scriptServer(t, c.steps)
			tg := Target{Addr: addr, TLS: TLSNone, UserPattern: "u%d", PassPattern: c.pass, Timeout: 10 * time.Second}
			if err := tg.Validate(); err != nil {
				t.Fatal(err)
			}
			rc, err := tg.DialRaw(1, c.mailbox)
			if c.errText != "" {
				if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want ErrTarget mentioning %q", err, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if rc.Exists() != 3 {
				t.Errorf("Exists = %d, want 3", rc.Exists())
			}
		})
	}
}

// TestRawFetchScripted checks Fetch's command line, its handling of the
// completion and that a server which stops answering cannot hang it.
func TestRawFetchScripted(t *testing.T) {
	addr, _ := scriptServer(t, []step{{"", greeting},
		{`R1 LOGIN "u1" "x"`, "R1 OK\r\n"}, {examineLine, examineOK},
		{"R3 UID FETCH 1:* (UID ENVELOPE)", postbusEnvelope + postbusEnvelope2 + "R3 OK done\r\n"},
		{"R4 FETCH 2 (UID BODY.PEEK[])", "* 2 FETCH (UID 7 BODY[] {5}\r\nR4 OK)\r\nR4 NO [UNAVAILABLE] storage down\r\n"},
		{"R5 FETCH 3 (UID BODY.PEEK[])", ""}, // and never answer
	})
	tg := Target{Addr: addr, TLS: TLSNone, UserPattern: "u%d", PassPattern: "x", Timeout: 300 * time.Millisecond}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	rc, err := tg.DialRaw(1, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	n, err := rc.Fetch([]byte("UID FETCH 1:* (UID ENVELOPE)"), [][]byte{[]byte("UID"), []byte("ENVELOPE")})
	if err != nil || n != 2 {
		t.Fatalf("Fetch = %d, %v; want 2 messages", n, err)
	}
	n, err = rc.Fetch([]byte("FETCH 2 (UID BODY.PEEK[])"), [][]byte{[]byte("BODY[]")})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "storage down") || n != 1 {
		t.Fatalf("Fetch = %d, %v; want 1 message and the NO", n, err)
	}
	read := rc.BytesRead()
	if _, err := rc.Fetch([]byte("FETCH 3 (UID BODY.PEEK[])"), nil); !errors.Is(err, ErrTarget) {
		t.Fatalf("Fetch from a silent server = %v, want a timeout error", err)
	}
	if rc.BytesRead() != read || rc.BytesWritten() == 0 {
		t.Errorf("counters: read %d (was %d), written %d", rc.BytesRead(), read, rc.BytesWritten())
	}
	// Out of step now: no command may follow, LOGOUT included.
	written := rc.BytesWritten()
	if _, err := rc.Fetch([]byte("FETCH 1 (UID)"), nil); !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "unusable") {
		t.Errorf("Fetch after a timeout: %v", err)
	}
	if err := rc.Logout(); err == nil || rc.BytesWritten() != written {
		t.Errorf("Logout after a timeout: %v, %d bytes written", err, rc.BytesWritten()-written)
	}
}

// TestStartTLSInjection: bytes behind STARTTLS's OK, before the
// handshake, must not be taken as the server's (RFC 9051 §6.2.1).
func TestStartTLSInjection(t *testing.T) {
	addr, _ := scriptServer(t, []step{{"", greeting},
		{"R1 STARTTLS", "R1 OK begin TLS\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"}})
	tg := Target{Addr: addr, TLS: TLSStartTLS, UserPattern: "u%d", PassPattern: "x", Timeout: 5 * time.Second, InsecureSkipVerify: true}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	// Whether the injected line arrives with the OK or after it, the
	// dial fails: as buffered plaintext or as a broken handshake.
	if _, err := tg.DialRaw(1, "INBOX"); !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a STARTTLS error", err)
	}
}

// TestRawConnAgainstPostbus dials a real postbus in every TLS mode, with
// a password that needs a literal too, and fetches what go-imap appended.
func TestRawConnAgainstPostbus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := postbusd.Start(ctx, postbusBin, t.TempDir(), "--insecure-auth")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	const plain, odd = "pw-%d", `pä"ss\%d`
	for user, pass := range map[string]string{"bob7": "pw-7", "eve8": `pä"ss\8`} {
		if err := srv.AddUser(ctx, user, pass); err != nil {
			t.Fatal(err)
		}
	}
	base := Target{Addr: srv.IMAPS, TLS: TLSImplicit, CAFile: srv.Cert, ServerName: "localhost", Timeout: 10 * time.Second}
	for _, u := range []struct {
		n          int
		user, pass string
	}{{7, "bob%d", plain}, {8, "eve%d", odd}} {
		tg := base
		tg.UserPattern, tg.PassPattern = u.user, u.pass
		if err := tg.Validate(); err != nil {
			t.Fatal(err)
		}
		c, err := tg.DialLogin(u.n)
		if err != nil {
			t.Fatal(err)
		}
		// The subjects carry raw UTF-8, which postbus accepts only after
		// ENABLE UTF8=ACCEPT (RFC 6855 §4).
		if err := c.Do(func() error { _, err := c.Enable(imap.CapUTF8Accept).Wait(); return err }); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			msg := fmt.Sprintf("From: a@example.com\r\nSubject: (n° %d) \"quoted\"\r\n\r\nbody %d\r\n", i, i)
			err := c.Do(func() error {
				cmd := c.Append("INBOX", int64(len(msg)), nil)
				cmd.Write([]byte(msg))
				cmd.Close()
				_, err := cmd.Wait()
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		c.Logout()
	}
	envelope := [][]byte{[]byte("UID"), []byte("FLAGS"), []byte("RFC822.SIZE"), []byte("ENVELOPE")}
	cases := []struct {
		name     string
		tg       Target
		n        int
		user     string
		pass     string
		errMatch string
	}{
		{"implicit", Target{Addr: srv.IMAPS, TLS: TLSImplicit, CAFile: srv.Cert, ServerName: "localhost"}, 7, "bob%d", plain, ""},
		{"implicit, password as literal", Target{Addr: srv.IMAPS, TLS: TLSImplicit, InsecureSkipVerify: true}, 8, "eve%d", odd, ""},
		{"starttls", Target{Addr: srv.IMAP, TLS: TLSStartTLS, CAFile: srv.Cert, ServerName: "localhost"}, 7, "bob%d", plain, ""},
		{"none", Target{Addr: srv.IMAP, TLS: TLSNone}, 8, "eve%d", odd, ""},
		{"untrusted cert", Target{Addr: srv.IMAPS, TLS: TLSImplicit, ServerName: "localhost"}, 7, "bob%d", plain, "certificate"},
		{"wrong password", Target{Addr: srv.IMAPS, TLS: TLSImplicit, InsecureSkipVerify: true}, 7, "bob%d", "nope", "LOGIN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := c.tg
			tg.UserPattern, tg.PassPattern, tg.Timeout = c.user, c.pass, 10*time.Second
			if err := tg.Validate(); err != nil {
				t.Fatal(err)
			}
			rc, err := tg.DialRaw(c.n, "INBOX")
			if c.errMatch != "" {
				if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), c.errMatch) {
					t.Fatalf("err = %v, want ErrTarget mentioning %q", err, c.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rc.Exists() != 3 {
				t.Errorf("Exists = %d, want 3", rc.Exists())
			}
			before := rc.BytesRead()
			n, err := rc.Fetch([]byte("UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)"), envelope)
			if err != nil || n != 3 {
				t.Fatalf("Fetch = %d, %v; want 3", n, err)
			}
			if rc.BytesRead() <= before {
				t.Error("FETCH response not counted")
			}
			// A BAD leaves the connection usable; a missing item is an error.
			if _, err := rc.Fetch([]byte("FETCH 1:* (NOSUCHITEM)"), nil); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "BAD") {
				t.Errorf("unknown item: %v, want a BAD", err)
			}
			if n, err := rc.Fetch([]byte("FETCH 2:3 (UID)"), envelope); n != 2 || !errors.Is(err, ErrMissingItem) || !strings.Contains(err.Error(), "message 2 lacks FLAGS") {
				t.Errorf("missing items: %d, %v", n, err)
			}
			n, err = rc.Fetch([]byte("FETCH 2:3 (UID BODY.PEEK[])"), [][]byte{[]byte("UID"), []byte("BODY[]")})
			if err != nil || n != 2 {
				t.Fatalf("Fetch bodies = %d, %v; want 2", n, err)
			}
			if err := rc.Logout(); err != nil {
				t.Errorf("LOGOUT: %v", err)
			}
		})
	}
}

// TestAppendBatch runs MULTIAPPEND against a real postbus: a batch lands
// whole, a refused one (no such mailbox) wraps ErrRefused and leaves the
// connection usable.
func TestAppendBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := postbusd.Start(ctx, postbusBin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := srv.AddUser(ctx, "ann1", "pw-1"); err != nil {
		t.Fatal(err)
	}
	tg := Target{Addr: srv.IMAPS, TLS: TLSImplicit, CAFile: srv.Cert, ServerName: "localhost", Timeout: 10 * time.Second,
		UserPattern: "ann%d", PassPattern: "pw-%d"}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	rc, err := tg.DialRaw(1, "INBOX", "UTF8=ACCEPT", "X-UNKNOWN")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Logout()
	// ENABLE once a mailbox is selected is refused (RFC 5161 §3.1).
	if err := rc.Enable("UTF8=ACCEPT"); !errors.Is(err, ErrRefused) {
		t.Fatalf("ENABLE while selected: %v, want ErrRefused", err)
	}
	date := time.Date(2024, 3, 5, 6, 7, 8, 0, time.FixedZone("", -5*3600))
	msgs := []RawMessage{
		{Flags: []string{`\Seen`, `\Flagged`}, Date: date, Raw: []byte("Subject: one\r\n\r\nbody\r\n")},
		{Raw: []byte("Subject: two\r\n\r\n")},
		{Flags: []string{"$Label"}, Raw: []byte("Subject: tr\xc3\xa8s\r\n\r\nUTF-8 header\r\n")},
	}
	if err := rc.AppendBatch("Nope", msgs); !errors.Is(err, ErrRefused) {
		t.Fatalf("APPEND to a missing mailbox: %v, want ErrRefused", err)
	}
	if err := rc.AppendBatch("INBOX", msgs); err != nil {
		t.Fatal(err)
	}
	want := [][]byte{[]byte("FLAGS"), []byte("INTERNALDATE")}
	n, err := rc.Fetch([]byte(`FETCH 1:* (FLAGS INTERNALDATE)`), want)
	if err != nil || n != 3 {
		t.Fatalf("FETCH after the batch: %d messages, %v", n, err)
	}
	c, err := tg.DialLogin(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout()
	err = c.Do(func() error {
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			return err
		}
		msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true, InternalDate: true}).Collect()
		if err != nil {
			return err
		}
		if len(msgs) != 1 || !msgs[0].InternalDate.Equal(date) ||
			!slices.Contains(msgs[0].Flags, imap.FlagSeen) || !slices.Contains(msgs[0].Flags, imap.FlagFlagged) {
			return fmt.Errorf("message 1: %+v", msgs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
