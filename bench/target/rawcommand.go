package target

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Search sends one SEARCH or UID SEARCH command — cmd is everything after
// the tag, e.g. `UID SEARCH FROM "zqf07x" UNSEEN` — and reads its
// responses to the tagged completion under the timeout. It returns how
// many message numbers the SEARCH (or ESEARCH ALL) responses carried; see
// readSearch. cmd may hold literals, "{n}" CRLF followed by n octets
// (RFC 9051 §4.3): the line is sent up to each synchronizing literal and
// the literal only after the server's continuation request; "{n+}"
// literals (RFC 7888) are sent without waiting. AppendString builds such
// arguments.
//
// A NO or BAD, including one that refuses a literal, wraps ErrRefused and
// the connection stays usable. After any other error (ErrMalformed,
// ErrBye, a timeout) it is not, and Search returns that error again.
func (c *RawConn) Search(cmd []byte) (int64, error) {
	if c.broken != nil {
		return 0, fmt.Errorf("%w: connection unusable after: %w", ErrTarget, c.broken)
	}
	c.nc.SetDeadline(time.Now().Add(c.timeout))
	defer c.nc.SetDeadline(time.Time{})
	c.nextTag()
	c.out = append(append(append(c.out[:0], c.tag...), ' '), cmd...)
	c.out = append(c.out, '\r', '\n')
	if err := checkLine(c.out); err != nil {
		return 0, err
	}
	if err := c.sendLine(c.out, "SEARCH"); err != nil {
		if !errors.Is(err, ErrRefused) {
			c.broken = err
		}
		return 0, err
	}
	n, err := c.lx.readSearch(c.tag)
	if err != nil && !errors.Is(err, ErrRefused) {
		c.broken = err
	}
	return n, err
}

// sendLine writes a whole command line that checkLine accepted: up to
// and including each synchronizing literal's "{n}" CRLF, then, once the
// server asks for it, the literal and what follows. Non-synchronizing
// literals travel with the line.
func (c *RawConn) sendLine(line []byte, name string) error {
	from, off := 0, 0
	for {
		at, n, sync := nextLiteral(line[off:])
		if at < 0 {
			return c.write(line[from:])
		}
		at += off
		if sync {
			if err := c.write(line[from:at]); err != nil {
				return err
			}
			if err := c.awaitContinuation(name); err != nil {
				return err
			}
			from = at
		}
		off = at + n
	}
}

func (c *RawConn) write(b []byte) error {
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("%w: %w", ErrTarget, err)
	}
	return nil
}

// checkLine checks a command line, final CRLF included, before any of it
// is sent: outside literals it holds no CR or LF but the literal headers'
// and the final CRLF, and every literal is followed by as many octets as
// it announces and then more of the line. A line that breaks this would
// leave the server and the client out of step.
func checkLine(line []byte) error {
	if !bytes.HasSuffix(line, crlf) {
		return fmt.Errorf("%w: command line without its final CRLF", ErrTarget)
	}
	end := len(line) - len(crlf)
	off := 0
	for {
		// The final CRLF may complete a literal header ("… {5}" CRLF):
		// one with nothing after it.
		at, n, _ := nextLiteral(line[off:])
		segEnd := end
		if at >= 0 {
			at += off
			segEnd = at - len(crlf)
		}
		if seg := line[off:segEnd]; bytes.ContainsAny(seg, "\r\n") {
			return fmt.Errorf("%w: CR or LF outside a literal in command %q", ErrTarget, seg)
		}
		if at < 0 {
			return nil
		}
		if follow := max(end-at, 0); n > follow {
			return fmt.Errorf("%w: command announces a literal of %d octets, %d follow", ErrTarget, n, follow)
		}
		off = at + n
	}
}

var crlf = []byte("\r\n")

var literalEnd = []byte("}\r\n")

// nextLiteral finds the first literal header in b, "{" number ["+"] "}"
// CRLF (RFC 9051 §9 literal, RFC 7888 literal+), and returns the index
// just after its CRLF, where the octets start, their count and whether the
// literal is synchronizing. at is -1 if b holds none. "}" may end an atom
// (it is no atom-special), but "{" may not appear in one, so only a "{"
// digits "}" run is a literal.
func nextLiteral(b []byte) (at, n int, sync bool) {
	off := 0
	for {
		i := bytes.Index(b[off:], literalEnd)
		if i < 0 {
			return -1, 0, false
		}
		end := off + i // the "}"
		off = end + 1
		j := end
		sync = true
		if j > 0 && b[j-1] == '+' {
			sync = false
			j--
		}
		k := j
		for k > 0 && b[k-1] >= '0' && b[k-1] <= '9' {
			k--
		}
		if k == 0 || b[k-1] != '{' {
			continue
		}
		// At most 18 digits, so that the length fits an int.
		v, ok := parseNumber(b[k:j])
		if !ok || j-k > 18 {
			continue
		}
		return end + len(literalEnd), int(v), sync
	}
}

// maxQuoted is the longest string sent quoted; longer ones go as
// literals, as go-imap v2's encoder does (imapwire.Encoder.String), so
// that both clients send servers the same commands.
const maxQuoted = 4096

// AppendString appends s to a command as an IMAP string (RFC 9051 §4.3):
// quoted when it can be (ASCII without CR, LF or NUL, at most 4096
// octets), else as a synchronizing literal, "{n}" CRLF and the octets,
// which Search sends after the server's continuation request. NUL cannot
// be sent in either form (RFC 9051 §9 CHAR8 excludes it) and is an error.
func AppendString(dst []byte, s string) ([]byte, error) {
	if len(s) <= maxQuoted && canQuote(s) {
		return appendQuoted(dst, s), nil
	}
	if strings.IndexByte(s, 0) >= 0 {
		return dst, fmt.Errorf("%w: string %q contains NUL, which IMAP cannot send", ErrTarget, s)
	}
	dst = append(strconv.AppendInt(append(dst, '{'), int64(len(s)), 10), '}', '\r', '\n')
	return append(dst, s...), nil
}
