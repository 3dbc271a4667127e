package target

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// RawConn is a logged-in connection with a mailbox examined, spoken to
// without go-imap: commands are written as bytes and responses read by a
// minimal lexer that counts FETCH responses and checks their item names
// but decodes nothing. It exists because go-imap's decoding of every
// ENVELOPE and BODYSTRUCTURE costs the benchmark client more CPU than the
// servers it measures spend producing them.
//
// Like Conn, it counts the bytes it reads and writes, and every command
// runs under the target's timeout. A RawConn is used by one goroutine.
type RawConn struct {
	nc      net.Conn // application stream: TLS or the counted socket
	counted *countingConn
	timeout time.Duration
	lx      *lexer
	out     []byte // the command being written
	tag     []byte
	seq     uint64
	exists  uint32
	// broken is the error after which the stream is out of step with the
	// server (timeout, malformed response, BYE): no command may follow.
	broken error
}

// DialRaw dials like Dial (TCP, implicit TLS or STARTTLS, greeting), logs
// in as user n, ENABLEs the given capabilities if any (RFC 5161 allows it
// only before a mailbox is selected; a server that refuses ENABLE is not
// an error) and EXAMINEs mailbox, all with its own lexer. The mailbox
// name must be ASCII: the raw client does not encode modified UTF-7.
func (t *Target) DialRaw(n int, mailbox string, enable ...string) (*RawConn, error) {
	d := net.Dialer{Timeout: t.Timeout}
	sock, err := d.Dial("tcp", t.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTarget, err)
	}
	c := &RawConn{timeout: t.Timeout, tag: make([]byte, 0, 16), out: make([]byte, 0, 256)}
	sock.SetDeadline(time.Now().Add(t.Timeout))
	if err := c.open(t, sock); err != nil {
		sock.Close()
		return nil, err
	}
	user, pass := t.User(n)
	// Each command gets the whole timeout, as Conn's Do gives it.
	sock.SetDeadline(time.Now().Add(t.Timeout))
	if err := c.command("LOGIN", user, pass); err != nil {
		sock.Close()
		return nil, fmt.Errorf("%w: LOGIN %s at %s: %w", ErrTarget, user, t.Addr, err)
	}
	if len(enable) > 0 {
		if err := c.Enable(enable...); err != nil && !errors.Is(err, ErrRefused) {
			sock.Close()
			return nil, err
		}
	}
	sock.SetDeadline(time.Now().Add(t.Timeout))
	if err := c.examine(mailbox); err != nil {
		sock.Close()
		return nil, err
	}
	sock.SetDeadline(time.Time{})
	return c, nil
}

// open secures the socket as the target says and reads the greeting.
// Byte counting is as for Conn: the application stream, except with
// STARTTLS, where the counted socket carries the TLS records.
func (c *RawConn) open(t *Target, sock net.Conn) error {
	switch t.TLS {
	case TLSImplicit:
		tc := tls.Client(sock, t.tlsConfig())
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("%w: TLS handshake with %s: %w", ErrTarget, t.Addr, err)
		}
		c.counted = &countingConn{Conn: tc}
		c.nc = c.counted
	default:
		c.counted = &countingConn{Conn: sock}
		c.nc = c.counted
	}
	c.lx = newLexer(c.nc)
	if err := c.greeting(); err != nil {
		return fmt.Errorf("%w: greeting from %s: %w", ErrTarget, t.Addr, err)
	}
	if t.TLS != TLSStartTLS {
		return nil
	}
	if err := c.command("STARTTLS"); err != nil {
		return fmt.Errorf("%w: STARTTLS with %s: %w", ErrTarget, t.Addr, err)
	}
	// RFC 9051 §6.2.1: bytes after the OK and before the handshake would
	// be plaintext an attacker injected; the client must discard them,
	// and a benchmark has no reason to continue.
	if c.lx.buffered() > 0 {
		return fmt.Errorf("%w: STARTTLS with %s: %d bytes sent before the TLS handshake", ErrTarget, t.Addr, c.lx.buffered())
	}
	tc := tls.Client(c.counted, t.tlsConfig())
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("%w: STARTTLS handshake with %s: %w", ErrTarget, t.Addr, err)
	}
	c.nc = tc
	c.lx.reset(tc)
	return nil
}

// greeting reads the server's first response: "* OK" (RFC 9051 §7.1.1);
// PREAUTH or BYE are errors, since the benchmark logs in as a given user.
func (c *RawConn) greeting() error {
	h, err := c.lx.head()
	if err != nil {
		return err
	}
	if h.kind == respUntagged && bytes.EqualFold(h.word, wordBYE) {
		return errStatus("greeting", h)
	}
	if h.kind != respUntagged || !bytes.EqualFold(h.word, wordOK) || h.hasNum {
		return fmt.Errorf("%w: %s %s", ErrRefused, h.word, h.text)
	}
	return nil
}

// examine selects mailbox read-only and records its EXISTS.
func (c *RawConn) examine(mailbox string) error {
	for _, b := range []byte(mailbox) {
		if b >= 0x80 {
			return fmt.Errorf("%w: EXAMINE %q: the raw client sends ASCII mailbox names only", ErrTarget, mailbox)
		}
	}
	c.exists = 0
	if err := c.command("EXAMINE", mailbox); err != nil {
		return fmt.Errorf("%w: EXAMINE %s: %w", ErrTarget, mailbox, err)
	}
	return nil
}

// Exists is the message count the EXAMINE reported.
func (c *RawConn) Exists() uint32 { return c.exists }

// BytesRead and BytesWritten count traffic as Conn's do.
func (c *RawConn) BytesRead() int64    { return c.counted.read.Load() }
func (c *RawConn) BytesWritten() int64 { return c.counted.written.Load() }

// Fetch sends one FETCH or UID FETCH command — cmd is everything after the
// tag, e.g. "UID FETCH 1:* (UID ENVELOPE)" — and reads its responses to
// the tagged completion under the timeout. It returns the number of FETCH
// responses, each of which carried every item named in want (response
// names, e.g. "ENVELOPE", "BODY[]"). A NO or BAD wraps ErrRefused and a
// response lacking an item ErrMissingItem: the connection stays usable.
// After any other error (ErrMalformed, ErrBye, a timeout) it is not, and
// Fetch returns that error again.
func (c *RawConn) Fetch(cmd []byte, want [][]byte) (int64, error) {
	if c.broken != nil {
		return 0, fmt.Errorf("%w: connection unusable after: %w", ErrTarget, c.broken)
	}
	c.nc.SetDeadline(time.Now().Add(c.timeout))
	defer c.nc.SetDeadline(time.Time{})
	c.nextTag()
	c.out = append(append(append(c.out[:0], c.tag...), ' '), cmd...)
	c.out = append(c.out, '\r', '\n')
	if _, err := c.nc.Write(c.out); err != nil {
		c.broken = fmt.Errorf("%w: %w", ErrTarget, err)
		return 0, c.broken
	}
	n, err := c.lx.readFetch(c.tag, want)
	if err != nil && !errors.Is(err, ErrRefused) && !errors.Is(err, ErrMissingItem) {
		c.broken = err
	}
	return n, err
}

// Logout sends LOGOUT (under the timeout), reads the BYE and completion,
// and closes the connection. A connection out of step is only closed: its
// unread responses could take until the timeout to drain.
func (c *RawConn) Logout() error {
	if c.broken != nil {
		c.nc.Close()
		return fmt.Errorf("%w: LOGOUT not sent, connection unusable after: %w", ErrTarget, c.broken)
	}
	c.nc.SetDeadline(time.Now().Add(c.timeout))
	err := c.command("LOGOUT")
	c.nc.Close()
	return err
}

// Close closes the connection without LOGOUT.
func (c *RawConn) Close() error { return c.nc.Close() }

func (c *RawConn) nextTag() {
	c.seq++
	c.tag = strconv.AppendUint(append(c.tag[:0], 'R'), c.seq, 10)
}

// command runs a command whose arguments are astrings (RFC 9051 §4.3):
// quoted when they can be, else sent as synchronizing literals, each
// after the server's continuation request. It reads the responses to the
// tagged completion, recording EXISTS, and fails on NO, BAD or BYE (a BYE
// is expected from LOGOUT only). It is used while dialing and for LOGOUT,
// after which the connection is closed either way.
func (c *RawConn) command(name string, args ...string) error {
	c.nextTag()
	c.out = append(append(append(c.out[:0], c.tag...), ' '), name...)
	for _, a := range args {
		c.out = append(c.out, ' ')
		if canQuote(a) {
			c.out = appendQuoted(c.out, a)
			continue
		}
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("%w: %s argument contains NUL, which IMAP cannot send", ErrTarget, name)
		}
		c.out = append(strconv.AppendInt(append(c.out, '{'), int64(len(a)), 10), '}', '\r', '\n')
		if _, err := c.nc.Write(c.out); err != nil {
			return fmt.Errorf("%w: %w", ErrTarget, err)
		}
		if err := c.awaitContinuation(name); err != nil {
			return err
		}
		c.out = append(c.out[:0], a...)
	}
	c.out = append(c.out, '\r', '\n')
	if _, err := c.nc.Write(c.out); err != nil {
		return fmt.Errorf("%w: %w", ErrTarget, err)
	}
	return c.await(name)
}

// await reads the responses to the tagged completion of the command in
// flight, recording EXISTS, and fails on NO, BAD or BYE (a BYE is
// expected from LOGOUT only).
func (c *RawConn) await(name string) error {
	for {
		h, err := c.lx.head()
		if err != nil {
			return err
		}
		switch {
		case h.kind == respContinue:
			return malformed("unexpected continuation request to %s: %q", name, h.text)
		case h.kind == respTagged:
			if !bytes.Equal(h.tag, c.tag) {
				return malformed("completion for tag %q during %s %s", h.tag, name, c.tag)
			}
			if bytes.EqualFold(h.word, wordOK) {
				return nil
			}
			return errStatus(name, h)
		case bytes.EqualFold(h.word, wordBYE):
			if name != "LOGOUT" {
				return errStatus(name, h)
			}
		case h.isStatus():
		default:
			if h.hasNum && bytes.EqualFold(h.word, wordEXISTS) {
				c.exists = uint32(min(h.num, 1<<32-1))
			}
			if err := c.lx.skipRest(); err != nil {
				return err
			}
		}
	}
}

var wordEXISTS = []byte("EXISTS")

// awaitContinuation reads responses until the "+" that lets a literal
// follow (RFC 9051 §4.3, §7.5); a tagged response instead refuses it.
func (c *RawConn) awaitContinuation(name string) error {
	for {
		h, err := c.lx.head()
		if err != nil {
			return err
		}
		switch {
		case h.kind == respContinue:
			return nil
		case h.kind == respTagged:
			return errStatus(name, h)
		case bytes.EqualFold(h.word, wordBYE):
			return errStatus(name, h)
		case h.isStatus():
		default:
			if err := c.lx.skipRest(); err != nil {
				return err
			}
		}
	}
}

// canQuote reports whether s fits a quoted string (RFC 9051 §9: CHAR
// except CR and LF; UTF-8 is left to literals, which every server
// reads). The empty string is quoted too.
func canQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c == '\r' || c == '\n' || c >= 0x80 {
			return false
		}
	}
	return true
}

func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}
