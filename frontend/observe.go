package frontend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/frontend/metrics"
)

// What the frontend tells operators, besides errors: metrics for every
// connection and command, one debug line per command, one info line per
// login attempt and per disconnect. None of them carries a command's
// arguments — never a password, a search string or message text; only the
// command name, its tag, the user and the tagged response's status and
// response code.

// cmdResult is a command's tagged response: status (metrics.Result*) and
// the RFC 5530 response code, if any.
type cmdResult struct {
	status, code string
}

// newSessionID returns a short random id that ties a session's log lines
// together (remote addresses repeat; NAT, load balancers).
func newSessionID() string {
	var b [6]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

func listenerLabel(implicit bool) string {
	if implicit {
		return metrics.ListenerImplicit
	}
	return metrics.ListenerSTARTTLS
}

// commandLabel is the command's metric label: a known command name (with
// "UID " for the UID forms) or metrics.OtherCommand, so a client sending
// made-up names cannot create series.
func commandLabel(cmd *wire.Command) string {
	if _, ok := commands[cmd.Name]; !ok {
		return metrics.OtherCommand
	}
	if cmd.UID {
		return "UID " + cmd.Name
	}
	return cmd.Name
}

// maxLoggedUser bounds the user name a failed LOGIN logs.
const maxLoggedUser = 256

// codeAtom is the response code's name without its arguments
// ("APPENDUID 7 3" → "APPENDUID"), for logs.
func codeAtom(code string) string {
	name, _, _ := strings.Cut(code, " ")
	return name
}

// observe counts a finished command and writes its debug line.
func (c *conn) observe(cmd *wire.Command, start time.Time, res cmdResult) {
	d := time.Since(start)
	label := commandLabel(cmd)
	m := c.srv.metrics
	m.Commands.WithLabelValues(label, res.status).Inc()
	m.CommandDuration.WithLabelValues(label).Observe(d.Seconds())
	if !c.srv.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	c.srv.log.LogAttrs(context.Background(), slog.LevelDebug, "frontend: command",
		slog.String("session", c.id),
		slog.String("user", c.user),
		slog.String("command", label),
		slog.String("tag", sanitizeName(cmd.Tag)),
		slog.Duration("duration", d),
		slog.String("result", res.status),
		slog.String("code", codeAtom(res.code)),
	)
}

// afterAuth records what a command did to authentication: a LOGIN or
// AUTHENTICATE that succeeded or failed (metrics, one info line), or an
// UNAUTHENTICATE (the session's logger forgets the user).
func (c *conn) afterAuth(cmd *wire.Command, wasNotAuth bool) {
	switch cmd.Name {
	case "LOGIN", "AUTHENTICATE":
	case "UNAUTHENTICATE":
		if c.state == stateNotAuth {
			c.log = c.srv.log.With("remote", c.raw.RemoteAddr().String(), "session", c.id)
		}
		return
	default:
		return
	}
	if !wasNotAuth || c.res.status == metrics.ResultBAD {
		return // refused before credentials were looked at
	}
	mech, user := "LOGIN", ""
	if a, ok := cmd.Args.(*wire.LoginArgs); ok && a != nil {
		user = a.Username
		if len(user) > maxLoggedUser {
			user = user[:maxLoggedUser] // a client's string: bound the line
		}
	}
	if cmd.Name == "AUTHENTICATE" {
		mech = metrics.OtherCommand
		if a, ok := cmd.Args.(*wire.AuthenticateArgs); ok && a != nil && a.Mechanism == "PLAIN" {
			mech = "PLAIN"
		}
	}
	remote := c.raw.RemoteAddr().String()
	if c.state != stateNotAuth {
		c.srv.metrics.Logins.WithLabelValues(mech).Inc()
		c.srv.log.LogAttrs(context.Background(), slog.LevelInfo, "frontend: login",
			slog.String("session", c.id), slog.String("user", c.user),
			slog.String("remote", remote), slog.String("mechanism", mech))
		return
	}
	c.srv.metrics.AuthFailures.WithLabelValues(mech).Inc()
	c.srv.log.LogAttrs(context.Background(), slog.LevelInfo, "frontend: login failed",
		slog.String("session", c.id), slog.String("user", user),
		slog.String("remote", remote), slog.String("mechanism", mech),
		slog.String("code", codeAtom(c.res.code)))
}

// countIn and countOut count bytes that crossed the connection.
func (c *conn) countIn(n int) {
	if n > 0 {
		c.bytesIn.Add(int64(n))
		c.srv.metrics.BytesIn.Add(float64(n))
	}
}

func (c *conn) countOut(n int) {
	if n > 0 {
		c.bytesOut.Add(int64(n))
		c.srv.metrics.BytesOut.Add(float64(n))
	}
}

// logDisconnect writes the session's last line.
func (c *conn) logDisconnect() {
	c.srv.log.LogAttrs(context.Background(), slog.LevelInfo, "frontend: disconnect",
		slog.String("session", c.id), slog.String("user", c.user),
		slog.String("remote", c.raw.RemoteAddr().String()),
		slog.Duration("duration", time.Since(c.start)),
		slog.Int64("bytes_in", c.bytesIn.Load()), slog.Int64("bytes_out", c.bytesOut.Load()))
}
