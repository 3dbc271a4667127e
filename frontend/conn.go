package frontend

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/frontend/metrics"
)

// state is the connection state of RFC 9051 §3.
type state int

const (
	stateNotAuth state = 1 << iota
	stateAuth
	stateSelected
	stateLogout
)

func (s state) String() string {
	switch s {
	case stateNotAuth:
		return "not authenticated"
	case stateAuth:
		return "authenticated"
	case stateSelected:
		return "selected"
	default:
		return "logout"
	}
}

// errShutdown ends a session because the server is shutting down.
var errShutdown = errors.New("frontend: server shutting down")

// conn is one client connection and its session. All fields without a
// comment are owned by the session goroutine.
type conn struct {
	srv      *Server
	log      *slog.Logger
	raw      net.Conn
	implicit bool // accepted on the implicit-TLS port

	ctx    context.Context // cancelled when the connection ends
	cancel context.CancelFunc

	id    string    // short random session id, in every log line
	start time.Time // when the connection was accepted
	// bytesIn/bytesOut count what crossed deadlineConn (IDLE reads on a
	// helper goroutine while the session goroutine writes).
	bytesIn, bytesOut atomic.Int64

	closing     atomic.Bool  // set by Server.Shutdown
	readTimeout atomic.Int64 // time.Duration allowed for each read
	// readBy, when non-zero, is an absolute deadline (unix nanoseconds)
	// for all reads: before login a whole command must arrive within
	// PreAuthTimeout, so a client trickling octets cannot hold a slot.
	readBy    atomic.Int64
	closeOnce sync.Once

	nc    net.Conn // raw, or the *tls.Conn over it
	isTLS bool
	br    *bufio.Reader
	dec   *wire.Decoder
	enc   *wire.Encoder
	// z is the COMPRESS=DEFLATE layer, nil when off (RFC 4978, compress.go).
	z *deflateLayer

	state        state
	user         string
	authFailures int
	rev2         bool      // ENABLE IMAP4rev2 (RFC 9051 §6.3.1)
	utf8Accept   bool      // ENABLE UTF8=ACCEPT (RFC 6855 §3, utf8accept.go)
	cs           condState // CONDSTORE/QRESYNC enabled (RFC 7162, condstore.go)
	sel          *selected
	sub          *watchSub    // change notifications for the user, after login
	ntf          *notifyState // NOTIFY SET in effect (RFC 5465, notify.go), nil if none
	// wmu serialises the encoder between the session goroutine and the
	// decoder's continuation requests while NOTIFY reads commands on a
	// helper goroutine (notify_wait.go).
	wmu     sync.Mutex
	cmdName string    // command in progress, for logs
	res     cmdResult // tagged response of the command in progress
}

func newConn(s *Server, nc net.Conn, implicit bool) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	id := newSessionID()
	c := &conn{
		srv:      s,
		log:      s.log.With("remote", nc.RemoteAddr().String(), "session", id),
		id:       id,
		start:    time.Now(),
		raw:      nc,
		implicit: implicit,
		ctx:      ctx,
		cancel:   cancel,
		nc:       nc,
		state:    stateNotAuth,
	}
	c.readTimeout.Store(int64(s.cfg.PreAuthTimeout))
	return c
}

// setTransport (re)builds the decoder and encoder over nc, for the first
// time or after STARTTLS.
func (c *conn) setTransport(nc net.Conn) {
	c.nc = nc
	dc := &deadlineConn{c: c, nc: nc}
	c.br = bufio.NewReaderSize(dc, 16*1024)
	c.dec = wire.NewDecoder(c.br, c.continuation, c.srv.cfg.Limits)
	if c.enc == nil {
		c.enc = wire.NewEncoder(dc)
	} else {
		c.enc.Reset(dc)
	}
	c.enc.UTF8 = c.utf8Mode()
}

// continuation answers a synchronising literal or SASL step ("+ text").
func (c *conn) continuation(text string) error {
	if text == "" {
		text = "Ready"
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.enc.Raw("+ ").Raw(text).CRLF()
	return c.enc.Flush()
}

// interrupt asks the session to say BYE and end at its next safe point:
// a blocked read returns at once, a running command finishes first.
func (c *conn) interrupt() {
	c.closing.Store(true)
	c.raw.SetReadDeadline(time.Now().Add(-time.Second))
}

// forceClose ends the connection without ceremony (Shutdown deadline).
func (c *conn) forceClose() {
	c.cancel()
	c.raw.Close()
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		c.cancel()
		if c.sub != nil {
			c.sub.unsubscribe()
			c.sub = nil
		}
		c.nc.Close()
	})
}

// deadlineConn arms a deadline before every read (idle timeouts, RFC 9051
// §5.4) and every write (slow readers).
type deadlineConn struct {
	c  *conn
	nc net.Conn
}

func (d *deadlineConn) Read(p []byte) (int, error) {
	if d.c.closing.Load() {
		return 0, errShutdown
	}
	deadline := time.Now().Add(time.Duration(d.c.readTimeout.Load()))
	if by := d.c.readBy.Load(); by != 0 {
		deadline = time.Unix(0, by)
	}
	d.nc.SetReadDeadline(deadline)
	// interrupt may have run between the check and the deadline: look again
	// so that its past deadline is not overwritten unnoticed.
	if d.c.closing.Load() {
		return 0, errShutdown
	}
	n, err := d.nc.Read(p)
	d.c.countIn(n)
	return n, err
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	d.nc.SetWriteDeadline(time.Now().Add(d.c.srv.cfg.WriteTimeout))
	n, err := d.nc.Write(p)
	d.c.countOut(n)
	return n, err
}

// serve runs the session until LOGOUT, an I/O error, a timeout or shutdown.
func (c *conn) serve() {
	defer c.logDisconnect()
	defer c.close()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("frontend: panic in session", "panic", r, "command", c.cmdName, "stack", string(debug.Stack()))
			if c.enc != nil {
				c.enc.StatusResponse("*", "BYE", "SERVERBUG", "internal server error")
				c.enc.Flush()
			}
		}
	}()

	if c.implicit {
		tc := tls.Server(c.raw, c.srv.tlsConf)
		tc.SetDeadline(time.Now().Add(c.srv.cfg.PreAuthTimeout))
		if err := tc.HandshakeContext(c.ctx); err != nil {
			c.log.Debug("frontend: TLS handshake", "err", err)
			return
		}
		tc.SetDeadline(time.Time{})
		c.isTLS = true
		c.setTransport(tc)
	} else {
		c.setTransport(c.raw)
	}

	c.log.Debug("frontend: session starts", "tls", c.isTLS)

	// RFC 9051 §7.1.1: greeting with capabilities saves a round trip.
	c.enc.StatusResponse("*", "OK", "CAPABILITY "+c.capabilities(), c.srv.cfg.ServerName+" IMAP4rev2 server ready")
	if c.enc.Flush() != nil {
		return
	}

	for {
		if c.closing.Load() {
			c.byeClosing()
			return
		}
		if c.state == stateNotAuth {
			c.readBy.Store(time.Now().Add(c.srv.cfg.PreAuthTimeout).UnixNano())
		} else {
			c.readBy.Store(0)
		}
		cmd, err := c.readCommand() // notify_wait.go
		if err != nil {
			var se *wire.SyntaxError
			if errors.As(err, &se) {
				tag := se.Tag
				if tag == "" {
					tag = "*"
				}
				c.enc.StatusResponse(tag, "BAD", se.Code, se.Msg)
				c.observe(&wire.Command{Tag: se.Tag, Name: se.Command, UID: se.UID}, time.Now(), cmdResult{status: metrics.ResultBAD, code: se.Code})
				if c.enc.Flush() != nil {
					return
				}
				continue
			}
			c.endOnReadError(err)
			return
		}
		start := time.Now()
		err = c.run(cmd)
		// Counted before the flush, so that a client that has read the
		// tagged response finds it in the metrics.
		c.observe(cmd, start, c.res)
		if err != nil {
			if !errors.Is(err, errLogout) {
				c.endOnReadError(err)
			}
			return
		}
		if c.enc.Flush() != nil {
			return
		}
	}
}

// endOnReadError says goodbye when there is still someone to say it to.
func (c *conn) endOnReadError(err error) {
	var ne net.Error
	switch {
	case c.closing.Load() || errors.Is(err, errShutdown):
		c.byeClosing()
	case errors.As(err, &ne) && ne.Timeout():
		c.bye("autologout: idle for too long")
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
	case errors.Is(err, wire.ErrLineTooLong):
		c.enc.StatusResponse("*", "BYE", "TOOBIG", "command line too long")
		c.enc.Flush()
	default:
		var fe *fatalError
		if errors.As(err, &fe) && fe.silent {
			c.log.Debug("frontend: connection dropped", "err", err)
			return
		}
		if errors.As(err, &fe) && fe.bye != "" {
			c.bye(fe.bye)
			return
		}
		c.log.Debug("frontend: connection ends", "err", err)
		c.enc.StatusResponse("*", "BYE", "", "connection error")
		c.enc.Flush()
	}
}

func (c *conn) bye(text string) {
	c.enc.StatusResponse("*", "BYE", "", text)
	c.enc.Flush()
}

// errLogout ends the session after LOGOUT was answered.
var errLogout = errors.New("frontend: logout")

// fatalError ends the connection; bye, if set, is said first; silent
// means the stream is out of sync (mid-literal, mid-handshake) and nothing
// more may be written.
type fatalError struct {
	err    error
	bye    string
	silent bool
}

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// fatal marks err as the end of the connection; a *fatalError already in
// err keeps its bye text (e.g. "invalid compressed data", compress.go).
func fatal(err error) error {
	var fe *fatalError
	if errors.As(err, &fe) {
		return err
	}
	return &fatalError{err: err}
}

// handler implements one command. It writes untagged responses and returns
// nil (tagged OK), a *respError (tagged OK/NO/BAD with a code), a
// *fatalError or errLogout (connection ends), or any other error, which
// mapError turns into NO/BAD.
type handler func(c *conn, cmd *wire.Command) error

type command struct {
	states state
	fn     handler
	// forceSync asks Metadata.Changes for news even when no notification
	// arrived (NOOP, CHECK: RFC 9051 §6.1.2 "poll for updates").
	forceSync bool
	// seqBound: the command works on sequence numbers, so no EXPUNGE may be
	// sent while answering it unless it is the UID form (RFC 9051 §7.5.1).
	seqBound bool
	// stream: the handler drives the decoder itself (literal, SASL, DONE);
	// a panic inside leaves the decoder in an unknown state.
	stream bool
}

const (
	anyState     = stateNotAuth | stateAuth | stateSelected
	authAndSel   = stateAuth | stateSelected
	selectedOnly = stateSelected
)

var commands map[string]command

func init() {
	commands = map[string]command{
		"CAPABILITY":     {states: anyState, fn: (*conn).cmdCapability},
		"NOOP":           {states: anyState, fn: (*conn).cmdNoop, forceSync: true},
		"LOGOUT":         {states: anyState, fn: (*conn).cmdLogout},
		"ID":             {states: anyState, fn: (*conn).cmdID},
		"STARTTLS":       {states: stateNotAuth, fn: (*conn).cmdStartTLS},
		"AUTHENTICATE":   {states: stateNotAuth, fn: (*conn).cmdAuthenticate, stream: true},
		"LOGIN":          {states: stateNotAuth, fn: (*conn).cmdLogin},
		"ENABLE":         {states: stateAuth, fn: (*conn).cmdEnable}, // RFC 5161 §3.1
		"UNAUTHENTICATE": {states: authAndSel, fn: (*conn).cmdUnauthenticate},
		"COMPRESS":       {states: authAndSel, fn: (*conn).cmdCompress},
		"SELECT":         {states: authAndSel, fn: (*conn).cmdSelect},
		"EXAMINE":        {states: authAndSel, fn: (*conn).cmdSelect},
		"CREATE":         {states: authAndSel, fn: (*conn).cmdCreate},
		"DELETE":         {states: authAndSel, fn: (*conn).cmdDelete},
		"RENAME":         {states: authAndSel, fn: (*conn).cmdRename},
		"SUBSCRIBE":      {states: authAndSel, fn: (*conn).cmdSubscribe},
		"UNSUBSCRIBE":    {states: authAndSel, fn: (*conn).cmdSubscribe},
		"LIST":           {states: authAndSel, fn: (*conn).cmdList},
		"LSUB":           {states: authAndSel, fn: (*conn).cmdList},
		"NAMESPACE":      {states: authAndSel, fn: (*conn).cmdNamespace},
		"STATUS":         {states: authAndSel, fn: (*conn).cmdStatus},
		"GETQUOTA":       {states: authAndSel, fn: (*conn).cmdGetQuota},     // RFC 9208 §4.1.1 (quota.go)
		"GETQUOTAROOT":   {states: authAndSel, fn: (*conn).cmdGetQuotaRoot}, // RFC 9208 §4.1.2
		"SETQUOTA":       {states: authAndSel, fn: (*conn).cmdSetQuota},     // RFC 9208 §4.1.3
		"GETMETADATA":    {states: authAndSel, fn: (*conn).cmdGetMetadata},  // RFC 5464 §4.2 (annotate.go)
		"SETMETADATA":    {states: authAndSel, fn: (*conn).cmdSetMetadata},  // RFC 5464 §4.3
		"APPEND":         {states: authAndSel, fn: (*conn).cmdAppend, stream: true},
		"IDLE":           {states: authAndSel, fn: (*conn).cmdIdle, stream: true},
		"CHECK":          {states: selectedOnly, fn: (*conn).cmdCheck, forceSync: true},
		"CLOSE":          {states: selectedOnly, fn: (*conn).cmdClose},
		"UNSELECT":       {states: selectedOnly, fn: (*conn).cmdUnselect},
		"EXPUNGE":        {states: selectedOnly, fn: (*conn).cmdExpunge, forceSync: true},
		"SEARCH":         {states: selectedOnly, fn: (*conn).cmdSearch, seqBound: true},
		"FETCH":          {states: selectedOnly, fn: (*conn).cmdFetch, seqBound: true},
		"STORE":          {states: selectedOnly, fn: (*conn).cmdStore, seqBound: true},
		"COPY":           {states: selectedOnly, fn: (*conn).cmdCopy, seqBound: true},
		"MOVE":           {states: selectedOnly, fn: (*conn).cmdCopy},
		// RFC 5465 §3.1: NOTIFY SET implies NOOP (forceSync).
		"NOTIFY": {states: authAndSel, fn: (*conn).cmdNotify, forceSync: true},
	}
}

// run executes one command and writes its tagged response. A non-nil error
// ends the connection.
func (c *conn) run(cmd *wire.Command) (err error) {
	c.cmdName = cmd.Name
	c.res = cmdResult{status: metrics.ResultBAD}
	spec, ok := commands[cmd.Name]
	if !ok {
		c.enc.StatusResponse(cmd.Tag, "BAD", "", "unknown command "+sanitizeName(cmd.Name))
		return nil
	}
	if spec.states&c.state == 0 {
		c.enc.StatusResponse(cmd.Tag, "BAD", "", fmt.Sprintf("%s not allowed in state %s", cmd.Name, c.state))
		return nil
	}
	if c.state == stateNotAuth && cmd.UID {
		c.enc.StatusResponse(cmd.Tag, "BAD", "", "UID not allowed in state "+c.state.String())
		return nil
	}

	failuresBefore, wasNotAuth := c.authFailures, c.state == stateNotAuth
	if cmd.Name == "IDLE" {
		c.srv.metrics.Idle.Inc()
	}
	herr := c.call(spec, cmd)
	if cmd.Name == "IDLE" {
		c.srv.metrics.Idle.Dec()
	}
	// Handlers that answer themselves (errAnswered, errLogout) or end the
	// connection say how only through what they did: a failed credential
	// check counted a failure and wrote NO [AUTHENTICATIONFAILED].
	switch {
	case c.authFailures > failuresBefore:
		c.res = cmdResult{status: metrics.ResultNO, code: "AUTHENTICATIONFAILED"}
	case errors.Is(herr, errAnswered), errors.Is(herr, errLogout):
		c.res = cmdResult{status: metrics.ResultOK}
	default:
		c.res = cmdResult{status: metrics.ResultBYE}
	}
	defer c.afterAuth(cmd, wasNotAuth)
	if c.enc.Err() != nil {
		return fatal(c.enc.Err())
	}
	var fe *fatalError
	if errors.As(herr, &fe) || errors.Is(herr, errLogout) {
		return herr
	}
	if errors.Is(herr, errAnswered) {
		return nil
	}

	// Reload the mailbox list NOTIFY reports on after this session
	// changed it, so the change is not reported back (notify_push.go).
	if succeeded(herr) && c.notifyActive() {
		if nerr := c.notifyOwnChange(cmd); nerr != nil {
			c.log.Warn("frontend: reading the mailbox list for NOTIFY", "err", nerr)
		}
	}

	// Tell the client what other sessions changed, where the RFC lets us
	// (RFC 9051 §7.5.1, §5.5).
	if c.state == stateSelected && c.sel != nil {
		allowExpunge := !spec.seqBound || cmd.UID
		if serr := c.syncView(allowExpunge, spec.forceSync); serr != nil {
			if errors.As(serr, &fe) {
				return serr
			}
			c.log.Warn("frontend: reading mailbox changes", "err", serr)
		}
	}

	name := cmd.Name
	if cmd.UID {
		name = "UID " + name
	}
	status, code, text := "OK", "", name+" completed"
	if herr != nil {
		status, code, text = c.mapError(herr)
		if text == "" {
			text = name + " failed"
		}
	}
	c.enc.StatusResponse(cmd.Tag, status, code, text)
	c.res = cmdResult{status: status, code: code}
	return nil
}

// call runs the handler, turning a panic into NO [SERVERBUG] (or, when the
// decoder may be mid-command, into the end of the connection).
func (c *conn) call(spec command, cmd *wire.Command) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		c.log.Error("frontend: panic in command", "panic", r, "command", cmd.Name, "stack", string(debug.Stack()))
		if spec.stream {
			err = &fatalError{err: fmt.Errorf("frontend: panic: %v", r), bye: "[SERVERBUG] internal server error"}
			return
		}
		err = &respError{status: "NO", code: "SERVERBUG", text: "internal server error"}
	}()
	return spec.fn(c, cmd)
}

// sanitizeName keeps an echoed command name short and printable.
func sanitizeName(s string) string {
	if len(s) > 32 {
		s = s[:32]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// setAuthenticated moves to the authenticated state after LOGIN/AUTHENTICATE.
func (c *conn) setAuthenticated(user string) {
	c.user = user
	c.state = stateAuth
	c.readTimeout.Store(int64(c.srv.cfg.IdleTimeout))
	c.sub = c.srv.watch.subscribe(user, c.interrupt)
}
