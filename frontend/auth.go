package frontend

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// errAnswered: the handler already wrote the tagged response.
var errAnswered = errors.New("frontend: answered")

// errAuthzDiffers: a SASL authorization identity other than the
// authentication identity (no proxy authorization in postbus).
var errAuthzDiffers = errors.New("frontend: authorization identity differs")

// RFC 9051 §6.1.1.
func (c *conn) cmdCapability(cmd *wire.Command) error {
	c.enc.Raw("* CAPABILITY ").Raw(c.capabilities()).CRLF()
	return nil
}

// RFC 9051 §6.1.2: updates are sent by run (forceSync).
func (c *conn) cmdNoop(cmd *wire.Command) error { return nil }

// RFC 9051 §6.1.3.
func (c *conn) cmdLogout(cmd *wire.Command) error {
	c.enc.StatusResponse("*", "BYE", "", "logging out")
	c.enc.StatusResponse(cmd.Tag, "OK", "", "LOGOUT completed")
	c.enc.Flush()
	c.state = stateLogout
	return errLogout
}

// RFC 2971: answered in any state, the client's parameters are only logged.
func (c *conn) cmdID(cmd *wire.Command) error {
	if a, ok := cmd.Args.(*wire.IDArgs); ok && a != nil && len(a.Params) > 0 {
		attrs := make([]any, 0, 2*len(a.Params))
		for i, p := range a.Params {
			if i >= 30 {
				break // RFC 2971 §3.3: at most 30 pairs
			}
			v := "NIL"
			if p.Value != nil {
				v = *p.Value
			}
			attrs = append(attrs, p.Key, v)
		}
		c.log.Debug("frontend: client ID", attrs...)
	}
	c.enc.Raw(`* ID ("name" "postbus" "version" `).String(Version).Raw(")").CRLF()
	return nil
}

// RFC 9051 §6.2.1.
func (c *conn) cmdStartTLS(cmd *wire.Command) error {
	if c.isTLS {
		return bad("", "TLS is already active")
	}
	// Plaintext pipelined after STARTTLS must not be read as if it came
	// over TLS (CVE-2011-0411 class of command injection).
	if c.dec.Buffered() > 0 {
		return bad("CLIENTBUG", "STARTTLS must not be followed by pipelined data")
	}
	c.enc.StatusResponse(cmd.Tag, "OK", "", "begin TLS negotiation now")
	if err := c.enc.Flush(); err != nil {
		return fatal(err)
	}
	tc := tls.Server(c.raw, c.srv.tlsConf)
	tc.SetDeadline(time.Now().Add(c.srv.cfg.PreAuthTimeout))
	if err := tc.HandshakeContext(c.ctx); err != nil {
		return &fatalError{err: fmt.Errorf("frontend: STARTTLS handshake: %w", err), silent: true}
	}
	tc.SetDeadline(time.Time{})
	c.isTLS = true
	c.setTransport(tc)
	return errAnswered
}

// authAllowed refuses credentials over cleartext (RFC 9051 §6.2.3,
// LOGINDISABLED; RFC 5530 PRIVACYREQUIRED).
func (c *conn) authAllowed() error {
	if c.isTLS || c.srv.cfg.InsecureAuth {
		return nil
	}
	return no("PRIVACYREQUIRED", "authentication requires TLS: use STARTTLS first")
}

// RFC 9051 §6.2.3.
func (c *conn) cmdLogin(cmd *wire.Command) error {
	if err := c.authAllowed(); err != nil {
		return err
	}
	a, ok := cmd.Args.(*wire.LoginArgs)
	if !ok {
		return bad("", "LOGIN expects user name and password")
	}
	return c.checkPassword(cmd, a.Username, a.Password)
}

// checkPassword authenticates the user and answers the command: OK with the
// new capabilities, or NO, or NO then BYE after too many failures.
func (c *conn) checkPassword(cmd *wire.Command, user, password string) error {
	_, err := c.srv.cfg.Metadata.Authenticate(c.ctx, &metadatapb.AuthenticateRequest{User: user, Password: password})
	err = rpcErr(err)
	if err != nil {
		if !errors.Is(err, base.ErrAuthFailed) && !errors.Is(err, base.ErrNoSuchUser) {
			return err
		}
		return c.authFailed(cmd)
	}
	c.setAuthenticated(user)
	c.log = c.log.With("user", user)
	return okCode("CAPABILITY "+c.capabilities(), "logged in")
}

func (c *conn) authFailed(cmd *wire.Command) error {
	c.authFailures++
	c.enc.StatusResponse(cmd.Tag, "NO", "AUTHENTICATIONFAILED", "invalid credentials")
	if c.authFailures >= c.srv.cfg.MaxAuthFailures {
		return &fatalError{err: errors.New("frontend: too many authentication failures"), bye: "too many authentication failures"}
	}
	return errAnswered
}

// RFC 9051 §6.2.2, SASL-IR (RFC 4959), PLAIN (RFC 4616).
func (c *conn) cmdAuthenticate(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.AuthenticateArgs)
	if !ok {
		return bad("", "AUTHENTICATE expects a mechanism")
	}
	if a.Mechanism != "PLAIN" {
		return no("CANNOT", "unsupported authentication mechanism")
	}
	if err := c.authAllowed(); err != nil {
		return err
	}
	resp := a.InitialResponse
	if !a.HasIR {
		// An empty challenge: "+ " CRLF (RFC 9051 §7.6).
		if err := c.enc.Raw("+ ").CRLF().Flush(); err != nil {
			return fatal(err)
		}
		line, err := c.dec.ReadLine()
		if err != nil {
			var se *wire.SyntaxError
			if errors.As(err, &se) {
				return bad(se.Code, se.Msg)
			}
			return fatal(err)
		}
		if line == "*" {
			return bad("", "authentication cancelled") // RFC 9051 §6.2.2
		}
		resp, err = base64.StdEncoding.DecodeString(line)
		if err != nil {
			return bad("", "invalid base64 in SASL response")
		}
	}
	var user, password string
	srv := sasl.NewPlainServer(func(identity, username, pw string) error {
		if identity != "" && identity != username {
			return errAuthzDiffers
		}
		user, password = username, pw
		return nil
	})
	_, done, err := srv.Next(resp)
	if err != nil || !done {
		if errors.Is(err, errAuthzDiffers) {
			return no("AUTHORIZATIONFAILED", "cannot act as another user")
		}
		return c.authFailed(cmd)
	}
	return c.checkPassword(cmd, user, password)
}

// RFC 5161.
func (c *conn) cmdEnable(cmd *wire.Command) error {
	a, _ := cmd.Args.(*wire.EnableArgs)
	var enabled []string
	before := c.cs // "ENABLE QRESYNC CONDSTORE" names both (RFC 7162 §3.2.3)
	if a != nil {
		for _, capName := range a.Caps {
			switch capName {
			case "IMAP4REV2":
				if !c.rev2 {
					c.rev2 = true
					c.enc.UTF8 = true // RFC 9051 §6.3.1: UTF-8 quoted strings
					enabled = append(enabled, "IMAP4rev2")
				}
			case "UTF8=ACCEPT": // RFC 6855 §3 (utf8accept.go)
				if c.enableUTF8Accept() {
					enabled = append(enabled, "UTF8=ACCEPT")
				}
			case "CONDSTORE", "QRESYNC": // RFC 7162 §3.1, §3.2.3 (condstore.go)
				if c.enableSync(capName, before) && !slices.Contains(enabled, capName) {
					enabled = append(enabled, capName)
				}
			}
		}
	}
	c.enc.Raw("* ENABLED")
	for _, e := range enabled {
		c.enc.SP().Raw(e)
	}
	c.enc.CRLF()
	return nil
}

// RFC 8437: back to the not-authenticated state, without expunging.
func (c *conn) cmdUnauthenticate(cmd *wire.Command) error {
	c.deselect()
	c.ntf = nil // NOTIFY belongs to the session that ends (RFC 8437 §3)
	if c.sub != nil {
		c.sub.unsubscribe()
		c.sub = nil
	}
	c.user = ""
	c.state = stateNotAuth
	c.rev2 = false
	c.utf8Accept = false // RFC 8437 §3: ENABLEd extensions end
	c.cs = condState{}
	c.enc.UTF8 = false
	c.authFailures = 0
	c.readTimeout.Store(int64(c.srv.cfg.PreAuthTimeout))
	c.log = c.srv.log.With("remote", c.raw.RemoteAddr().String())
	if c.z != nil {
		return c.endDeflate(cmd) // RFC 8437 §3 (compress.go)
	}
	return nil
}
