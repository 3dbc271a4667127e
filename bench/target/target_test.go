package target

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/bench/postbusd"
	"github.com/postbus/postbus/bench/postbusd/postbusdtest"
)

var postbusBin string

func TestMain(m *testing.M) { postbusdtest.Main(m, &postbusBin) }

// TestModesAgainstPostbus logs in over implicit TLS, STARTTLS and
// cleartext (the server allows it with --insecure-auth) and checks the
// byte counters and certificate handling.
func TestModesAgainstPostbus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := postbusd.Start(ctx, postbusBin, t.TempDir(), "--insecure-auth")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := srv.AddUser(ctx, "bob7", "pw-7"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		tg       Target
		wantErr  bool
		errMatch string
	}{
		{"implicit, trusted cert", Target{Addr: srv.IMAPS, TLS: TLSImplicit, CAFile: srv.Cert, ServerName: "localhost"}, false, ""},
		{"implicit, skip verify", Target{Addr: srv.IMAPS, TLS: TLSImplicit, InsecureSkipVerify: true}, false, ""},
		{"implicit, untrusted cert", Target{Addr: srv.IMAPS, TLS: TLSImplicit, ServerName: "localhost"}, true, "certificate"},
		{"starttls", Target{Addr: srv.IMAP, TLS: TLSStartTLS, CAFile: srv.Cert, ServerName: "localhost"}, false, ""},
		{"none", Target{Addr: srv.IMAP, TLS: TLSNone}, false, ""},
		{"wrong password", Target{Addr: srv.IMAPS, TLS: TLSImplicit, InsecureSkipVerify: true, PassPattern: "nope"}, true, "LOGIN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := c.tg
			tg.UserPattern = "bob%d"
			if tg.PassPattern == "" {
				tg.PassPattern = "pw-%d"
			}
			tg.Timeout = 10 * time.Second
			if err := tg.Validate(); err != nil {
				t.Fatal(err)
			}
			conn, err := tg.DialLogin(7)
			if c.wantErr {
				if !errors.Is(err, ErrTarget) || !strings.Contains(err.Error(), c.errMatch) {
					t.Fatalf("err = %v, want ErrTarget mentioning %q", err, c.errMatch)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if conn.BytesRead() == 0 || conn.BytesWritten() == 0 {
				t.Errorf("counters read %d written %d after LOGIN", conn.BytesRead(), conn.BytesWritten())
			}
			before := conn.BytesWritten()
			if err := conn.Do(func() error { return conn.Noop().Wait() }); err != nil {
				t.Fatal(err)
			}
			if conn.BytesWritten() <= before {
				t.Error("NOOP not counted")
			}
			if err := conn.Logout(); err != nil {
				t.Errorf("LOGOUT: %v", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "x.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o644)
	for _, c := range []Target{
		{},
		{Addr: "no-port", UserPattern: "u%d"},
		{Addr: "127.0.0.1:1", UserPattern: "fixed"},
		{Addr: "127.0.0.1:1", UserPattern: "u%d", TLS: "ssl3"},
		{Addr: "127.0.0.1:1", UserPattern: "u%d", CAFile: filepath.Join(dir, "missing.pem")},
		{Addr: "127.0.0.1:1", UserPattern: "u%d", CAFile: notPEM},
	} {
		if err := c.Validate(); !errors.Is(err, ErrTarget) {
			t.Errorf("Validate(%+v) = %v, want ErrTarget", c, err)
		}
	}
	tg := Target{Addr: "127.0.0.1:1", UserPattern: "user%d", PassPattern: "pw%d-%d"}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	if tg.TLS != TLSImplicit || tg.Timeout != time.Minute {
		t.Errorf("defaults: %q %v", tg.TLS, tg.Timeout)
	}
	if u, p := tg.User(12); u != "user12" || p != "pw12-12" {
		t.Errorf("User(12) = %q %q", u, p)
	}
	if _, err := tg.Dial(); !errors.Is(err, ErrTarget) {
		t.Errorf("dial to a closed port: %v", err)
	}
	if m, err := ParseTLSMode("STARTTLS"); err != nil || m != TLSStartTLS {
		t.Errorf("ParseTLSMode(STARTTLS) = %q %v", m, err)
	}
}
