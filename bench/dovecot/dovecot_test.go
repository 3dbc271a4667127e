package dovecot

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// TestStartLoginAppend installs Dovecot if needed (failing, not skipping,
// when it cannot), starts it, logs in over implicit TLS with the generated
// certificate, and round-trips a message.
func TestStartLoginAppend(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := EnsureInstalled(ctx)
	if err != nil {
		t.Fatalf("Dovecot is needed as the benchmark's reference server: %v", err)
	}
	for _, c := range []struct{ format, scheme string }{{"maildir", ""}, {"sdbox", "PLAIN"}} {
		format := c.format
		t.Run(format, func(t *testing.T) {
			srv, err := Start(ctx, Config{Binary: bin, MailFormat: format, PasswordScheme: c.scheme})
			if err != nil {
				t.Fatal(err)
			}
			dir := srv.Dir
			defer func() {
				if err := srv.Stop(); err != nil {
					t.Error(err)
				}
				if _, err := os.Stat(dir); !os.IsNotExist(err) {
					t.Errorf("temp dir %s left behind: %v", dir, err)
				}
			}()
			if err := srv.AddUser("user1", "secret-1"); err != nil {
				t.Fatal(err)
			}
			pem, err := os.ReadFile(srv.CertFile)
			if err != nil {
				t.Fatal(err)
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			c, err := imapclient.DialTLS(srv.IMAPS, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Login("user1", "secret-1").Wait(); err != nil {
				t.Fatalf("LOGIN: %v\nlog: %s", err, srv.Log())
			}
			msg := "From: a@example.org\r\nSubject: hello\r\n\r\nbody\r\n"
			cmd := c.Append("INBOX", int64(len(msg)), nil)
			cmd.Write([]byte(msg))
			cmd.Close()
			if _, err := cmd.Wait(); err != nil {
				t.Fatalf("APPEND: %v\nlog: %s", err, srv.Log())
			}
			sd, err := c.Select("INBOX", nil).Wait()
			if err != nil || sd.NumMessages != 1 {
				t.Fatalf("SELECT: %v %+v", err, sd)
			}
			if err := c.Logout().Wait(); err != nil {
				t.Fatal(err)
			}
			// Last, on its own connection: Dovecot delays a failure and
			// penalises the next logins from the address.
			bad, err := imapclient.DialTLS(srv.IMAPS, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
			if err != nil {
				t.Fatal(err)
			}
			defer bad.Close()
			if err := bad.Login("user1", "wrong").Wait(); err == nil {
				t.Fatal("LOGIN with a wrong password succeeded")
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Start(ctx, Config{MailFormat: "mbox"}); !errors.Is(err, ErrDovecot) {
		t.Errorf("unknown mail format: %v", err)
	}
	if _, err := Start(ctx, Config{Binary: "/nonexistent/dovecot"}); !errors.Is(err, ErrDovecot) {
		t.Errorf("missing binary: %v", err)
	}
	if _, err := Start(ctx, Config{PasswordScheme: "MD5"}); !errors.Is(err, ErrDovecot) {
		t.Errorf("unknown password scheme: %v", err)
	}
	if _, err := Start(ctx, Config{MailUser: "no-such-user-xyz"}); !errors.Is(err, ErrDovecot) {
		t.Errorf("unknown mail user: %v", err)
	}
	s := &Server{cfg: Config{PasswordScheme: "PLAIN"}}
	for _, c := range [][2]string{{"", "pw"}, {"a:b", "pw"}, {"u", "p:w"}, {"u", "p\nw"}} {
		if err := s.AddUser(c[0], c[1]); !errors.Is(err, ErrDovecot) {
			t.Errorf("AddUser(%q, %q): %v", c[0], c[1], err)
		}
	}
}
