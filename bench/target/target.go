package target

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// ErrTarget is the sentinel wrapped by every error of this package.
var ErrTarget = errors.New("target")

// TLSMode is how a connection is secured.
type TLSMode string

// The supported modes.
const (
	TLSImplicit TLSMode = "implicit" // IMAPS: TLS from the first byte
	TLSStartTLS TLSMode = "starttls" // plain IMAP, then STARTTLS
	TLSNone     TLSMode = "none"     // cleartext (the server must allow LOGIN)
)

// ParseTLSMode accepts implicit, starttls or none.
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(strings.ToLower(s)); m {
	case TLSImplicit, TLSStartTLS, TLSNone:
		return m, nil
	}
	return "", fmt.Errorf("%w: TLS mode %q (want implicit, starttls or none)", ErrTarget, s)
}

// Target is one IMAP server and how to log in to it.
type Target struct {
	Name string // for reports, e.g. "postbus"
	Addr string // host:port
	TLS  TLSMode
	// CAFile, if set, is a PEM file of roots to trust (a self-signed
	// server certificate). InsecureSkipVerify skips verification instead.
	CAFile             string
	InsecureSkipVerify bool
	// ServerName to verify; default: the host of Addr.
	ServerName string
	// UserPattern and PassPattern name user n; "%d" is replaced by n.
	UserPattern, PassPattern string
	// Timeout bounds dialing and every command (default 60 s).
	Timeout time.Duration
	// PID, if not 0, is the server's local process (the root of its
	// process tree), whose CPU and memory runs then report.
	PID int

	roots *x509.CertPool
}

// Validate checks the fields and loads CAFile; call it once before Dial.
func (t *Target) Validate() error {
	if t.Addr == "" {
		return fmt.Errorf("%w: no address", ErrTarget)
	}
	if _, _, err := net.SplitHostPort(t.Addr); err != nil {
		return fmt.Errorf("%w: address %q: %w", ErrTarget, t.Addr, err)
	}
	if t.TLS == "" {
		t.TLS = TLSImplicit
	}
	if _, err := ParseTLSMode(string(t.TLS)); err != nil {
		return err
	}
	if !strings.Contains(t.UserPattern, "%d") {
		return fmt.Errorf("%w: user pattern %q lacks %%d", ErrTarget, t.UserPattern)
	}
	if t.Timeout == 0 {
		t.Timeout = 60 * time.Second
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrTarget, err)
		}
		t.roots = x509.NewCertPool()
		if !t.roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%w: no certificate in %s", ErrTarget, t.CAFile)
		}
	}
	return nil
}

// User returns the name and password of user n.
func (t *Target) User(n int) (string, string) {
	return expand(t.UserPattern, n), expand(t.PassPattern, n)
}

func expand(pattern string, n int) string {
	return strings.ReplaceAll(pattern, "%d", fmt.Sprint(n))
}

func (t *Target) tlsConfig() *tls.Config {
	name := t.ServerName
	if name == "" {
		name, _, _ = net.SplitHostPort(t.Addr)
	}
	return &tls.Config{
		ServerName:         name,
		RootCAs:            t.roots,
		InsecureSkipVerify: t.InsecureSkipVerify,
		MinVersion:         tls.VersionTLS12,
	}
}

// Conn is one IMAP connection with byte counters.
type Conn struct {
	*imapclient.Client
	counted *countingConn
	timeout time.Duration
}

// Dial connects (TCP, TLS handshake for implicit TLS or STARTTLS) and
// waits for the greeting, all within the target's timeout. It does not log
// in.
func (t *Target) Dial() (*Conn, error) {
	d := net.Dialer{Timeout: t.Timeout}
	raw, err := d.Dial("tcp", t.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTarget, err)
	}
	raw.SetDeadline(time.Now().Add(t.Timeout))
	var nc net.Conn = raw
	if t.TLS == TLSImplicit {
		tc := tls.Client(raw, t.tlsConfig())
		if err := tc.Handshake(); err != nil {
			raw.Close()
			return nil, fmt.Errorf("%w: TLS handshake with %s: %w", ErrTarget, t.Addr, err)
		}
		nc = tc
	}
	cc := &countingConn{Conn: nc}
	opts := &imapclient.Options{TLSConfig: t.tlsConfig()}
	var c *imapclient.Client
	if t.TLS == TLSStartTLS {
		// STARTTLS wraps the counted socket, so counts include TLS overhead.
		c, err = imapclient.NewStartTLS(cc, opts)
		if err != nil {
			cc.Close()
			return nil, fmt.Errorf("%w: STARTTLS with %s: %w", ErrTarget, t.Addr, err)
		}
	} else {
		c = imapclient.New(cc, opts)
		if err := c.WaitGreeting(); err != nil {
			c.Close()
			return nil, fmt.Errorf("%w: greeting from %s: %w", ErrTarget, t.Addr, err)
		}
	}
	raw.SetDeadline(time.Time{})
	return &Conn{Client: c, counted: cc, timeout: t.Timeout}, nil
}

// DialLogin dials and logs in as user n.
func (t *Target) DialLogin(n int) (*Conn, error) {
	c, err := t.Dial()
	if err != nil {
		return nil, err
	}
	user, pass := t.User(n)
	if err := c.Do(func() error { return c.Login(user, pass).Wait() }); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: LOGIN %s at %s: %w", ErrTarget, user, t.Addr, err)
	}
	return c, nil
}

// Do runs one exchange under the connection's deadline: if the server has
// not answered within the timeout, the read fails and the client closes.
func (c *Conn) Do(f func() error) error {
	c.counted.SetDeadline(time.Now().Add(c.timeout))
	err := f()
	c.counted.SetDeadline(time.Time{})
	return err
}

// BytesRead and BytesWritten count traffic on the connection so far
// (application bytes for implicit TLS and no TLS; with STARTTLS, the
// socket's bytes including TLS records).
func (c *Conn) BytesRead() int64    { return c.counted.read.Load() }
func (c *Conn) BytesWritten() int64 { return c.counted.written.Load() }

// Logout sends LOGOUT (under the deadline) and closes the connection.
func (c *Conn) Logout() error {
	err := c.Do(func() error { return c.Client.Logout().Wait() })
	c.Close()
	return err
}

type countingConn struct {
	net.Conn
	read, written atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}
