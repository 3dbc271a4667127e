package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend/proxyproto"
)

// imapClient is a small IMAP client for the cluster test. Unlike rawConn it
// returns errors instead of failing the test, so that load goroutines can
// tell a retried command from a failure, and it reads literals inside
// responses.
type imapClient struct {
	conn net.Conn
	r    *bufio.Reader
	tag  int
	addr string
}

// imapResponse is what one tagged command got back.
type imapResponse struct {
	untagged []string // "* ..." lines, literals inlined
	status   string   // OK, NO or BAD
	text     string   // the rest of the tagged line
}

// unavailable reports a NO [UNAVAILABLE] (RFC 5530 §3): the command was not
// carried out and may be retried.
func (r *imapResponse) unavailable() bool {
	return r.status == "NO" && strings.HasPrefix(r.text, "[UNAVAILABLE]")
}

func (r *imapResponse) String() string { return r.status + " " + r.text }

const imapTimeout = 20 * time.Second

// dialIMAP opens an implicit-TLS session to addr and reads the greeting.
// With proxy set it first sends a PROXY v2 header, as haproxy does, for a
// frontend that requires one.
func dialIMAP(addr string, tc *tls.Config, proxy bool) (*imapClient, error) {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if proxy {
		if _, err := raw.Write((&proxyproto.Header{Command: proxyproto.Local}).AppendV2(nil)); err != nil {
			raw.Close()
			return nil, err
		}
	}
	conn := tls.Client(raw, tc)
	conn.SetDeadline(time.Now().Add(imapTimeout))
	if err := conn.Handshake(); err != nil {
		raw.Close()
		return nil, fmt.Errorf("TLS with %s: %w", addr, err)
	}
	c := &imapClient{conn: conn, r: bufio.NewReader(conn), addr: addr}
	g, err := c.readLine()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting from %s: %w", addr, err)
	}
	if !strings.HasPrefix(g, "* OK") {
		conn.Close()
		return nil, fmt.Errorf("greeting from %s: %q", addr, g)
	}
	return c, nil
}

func (c *imapClient) Close() error { return c.conn.Close() }

var literalAtEnd = regexp.MustCompile(`\{(\d+)\+?\}$`)

// readLine reads one response line, with any literals it carries inlined.
func (c *imapClient) readLine() (string, error) {
	var b strings.Builder
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		l = strings.TrimRight(l, "\r\n")
		b.WriteString(l)
		m := literalAtEnd.FindStringSubmatch(l)
		if m == nil {
			return b.String(), nil
		}
		n, _ := strconv.Atoi(m[1])
		lit := make([]byte, n)
		if _, err := io.ReadFull(c.r, lit); err != nil {
			return "", err
		}
		b.Write(lit)
	}
}

// do sends one command (its text may hold LITERAL+ literals) and reads up
// to its tagged response.
func (c *imapClient) do(format string, args ...any) (*imapResponse, error) {
	c.tag++
	tag := "c" + strconv.Itoa(c.tag)
	c.conn.SetDeadline(time.Now().Add(imapTimeout))
	if _, err := fmt.Fprintf(c.conn, tag+" "+format+"\r\n", args...); err != nil {
		return nil, err
	}
	return c.readTagged(tag)
}

func (c *imapClient) readTagged(tag string) (*imapResponse, error) {
	resp := &imapResponse{}
	for {
		l, err := c.readLine()
		if err != nil {
			return nil, err
		}
		if rest, ok := strings.CutPrefix(l, tag+" "); ok {
			resp.status, resp.text, _ = strings.Cut(rest, " ")
			return resp, nil
		}
		if strings.HasPrefix(l, "* BYE") {
			return nil, fmt.Errorf("server said %q", l)
		}
		resp.untagged = append(resp.untagged, l)
	}
}

// ok runs a command that must succeed.
func (c *imapClient) ok(format string, args ...any) (*imapResponse, error) {
	r, err := c.do(format, args...)
	if err != nil {
		return nil, err
	}
	if r.status != "OK" {
		return r, fmt.Errorf("%s: %s", strings.Fields(format)[0], r)
	}
	return r, nil
}

var appendUID = regexp.MustCompile(`\[APPENDUID (\d+) (\d+)\]`)

// appendMsg appends msg to mailbox and returns the UID (RFC 4315 APPENDUID).
// A NO comes back as a response with no error.
func (c *imapClient) appendMsg(mailbox, msg string) (uint32, *imapResponse, error) {
	r, err := c.do("APPEND %s {%d+}\r\n%s", mailbox, len(msg), msg)
	if err != nil || r.status != "OK" {
		return 0, r, err
	}
	m := appendUID.FindStringSubmatch(r.text)
	if m == nil {
		return 0, r, fmt.Errorf("APPEND OK without APPENDUID: %s", r)
	}
	uid, _ := strconv.ParseUint(m[2], 10, 32)
	return uint32(uid), r, nil
}

// idle enters IDLE (RFC 9051 §6.3.13); stop with done.
func (c *imapClient) idle() error {
	c.tag++
	c.conn.SetDeadline(time.Now().Add(imapTimeout))
	if _, err := fmt.Fprintf(c.conn, "c%d IDLE\r\n", c.tag); err != nil {
		return err
	}
	l, err := c.readLine()
	if err != nil {
		return err
	}
	if !strings.HasPrefix(l, "+") {
		return fmt.Errorf("IDLE: %q", l)
	}
	return nil
}

// waitUntagged reads untagged lines until one matches re or the deadline.
func (c *imapClient) waitUntagged(re *regexp.Regexp, within time.Duration) (string, error) {
	c.conn.SetReadDeadline(time.Now().Add(within))
	defer c.conn.SetReadDeadline(time.Time{})
	var seen []string
	for {
		l, err := c.readLine()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", fmt.Errorf("nothing matching %v within %v (saw %q)", re, within, seen)
			}
			return "", err
		}
		if re.MatchString(l) {
			return l, nil
		}
		seen = append(seen, l)
	}
}

// done ends IDLE.
func (c *imapClient) done() error {
	c.conn.SetDeadline(time.Now().Add(imapTimeout))
	if _, err := io.WriteString(c.conn, "DONE\r\n"); err != nil {
		return err
	}
	r, err := c.readTagged("c" + strconv.Itoa(c.tag))
	if err != nil {
		return err
	}
	if r.status != "OK" {
		return fmt.Errorf("IDLE ended with %s", r)
	}
	return nil
}

var (
	fetchUID     = regexp.MustCompile(`\bUID (\d+)`)
	fetchSubject = regexp.MustCompile(`Subject: ([^\r\n]*)`)
)

// mailboxContents selects mailbox and returns subject → UIDs of every
// message, and the UIDs in mailbox (sequence) order.
func (c *imapClient) mailboxContents(mailbox string) (map[string][]uint32, []uint32, error) {
	if _, err := c.ok("SELECT %s", mailbox); err != nil {
		return nil, nil, err
	}
	// UID FETCH 1:* is valid on an empty mailbox too (RFC 9051 §6.4.9).
	r, err := c.ok("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
	if err != nil {
		return nil, nil, err
	}
	bySubject := map[string][]uint32{}
	var uids []uint32
	for _, l := range r.untagged {
		if !strings.Contains(l, " FETCH (") {
			continue
		}
		mu, ms := fetchUID.FindStringSubmatch(l), fetchSubject.FindStringSubmatch(l)
		if mu == nil || ms == nil {
			return nil, nil, fmt.Errorf("FETCH response without UID or Subject: %q", l)
		}
		uid, _ := strconv.ParseUint(mu[1], 10, 32)
		subj := strings.TrimSpace(ms[1])
		bySubject[subj] = append(bySubject[subj], uint32(uid))
		uids = append(uids, uint32(uid))
	}
	return bySubject, uids, nil
}
