package frontend

import (
	"context"
	"errors"

	"github.com/postbus/postbus/frontend/internal/message"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// respError is a handler's chosen tagged response: status OK (with a code
// such as APPENDUID), NO or BAD, and an RFC 5530 response code.
type respError struct {
	status, code, text string
}

func (e *respError) Error() string { return e.status + " [" + e.code + "] " + e.text }

func no(code, text string) error  { return &respError{status: "NO", code: code, text: text} }
func bad(code, text string) error { return &respError{status: "BAD", code: code, text: text} }
func okCode(code, text string) error {
	return &respError{status: "OK", code: code, text: text}
}

// succeeded reports whether a handler's result is a tagged OK: nil, or an
// OK with a response code (CREATE's MAILBOXID, APPEND's APPENDUID).
func succeeded(herr error) bool {
	var re *respError
	return herr == nil || (errors.As(herr, &re) && re.status == "OK")
}

// rpcErr restores the base sentinel of an error returned by a metadata RPC.
func rpcErr(err error) error { return metadatapb.FromStatus(err) }

// mapError is the one mapping from errors to IMAP tagged responses
// (RFC 9051 §7.1, response codes of RFC 5530 and RFC 9051 §7.1).
func (c *conn) mapError(err error) (status, code, text string) {
	var re *respError
	if errors.As(err, &re) {
		return re.status, re.code, re.text
	}
	var se *wire.SyntaxError
	if errors.As(err, &se) {
		return "BAD", se.Code, se.Msg
	}
	err = metadatapb.FromStatus(err)
	switch {
	case errors.Is(err, base.ErrAuthFailed), errors.Is(err, base.ErrNoSuchUser):
		return "NO", "AUTHENTICATIONFAILED", "invalid credentials"
	case errors.Is(err, base.ErrNoSuchMailbox):
		return "NO", "NONEXISTENT", "no such mailbox"
	case errors.Is(err, base.ErrMailboxExists):
		return "NO", "ALREADYEXISTS", "mailbox already exists"
	case errors.Is(err, base.ErrMailboxHasChild):
		return "NO", "HASCHILDREN", "mailbox has children"
	case errors.Is(err, base.ErrInvalidName):
		return "NO", "CANNOT", "invalid mailbox name"
	case errors.Is(err, base.ErrNoSuchMessage):
		return "NO", "NONEXISTENT", "no such message"
	case errors.Is(err, base.ErrOverQuota):
		return "NO", "OVERQUOTA", "quota exceeded"
	case errors.Is(err, base.ErrTooBig):
		return "NO", "TOOBIG", "message too large"
	case errors.Is(err, base.ErrInvalidArgument):
		return "BAD", "CLIENTBUG", "invalid argument"
	case errors.Is(err, base.ErrConflict):
		return "NO", "INUSE", "conflicting concurrent change, try again"
	case errors.Is(err, base.ErrUnavailable), errors.Is(err, base.ErrNotOwner),
		errors.Is(err, base.ErrNoSuchBlob), errors.Is(err, context.DeadlineExceeded):
		c.log.Warn("frontend: backend unavailable", "err", err)
		return "NO", "UNAVAILABLE", "service temporarily unavailable, try again"
	case errors.Is(err, message.ErrUnknownCTE):
		return "NO", "UNKNOWN-CTE", "cannot decode the content transfer encoding of this part"
	case errors.Is(err, message.ErrNoSuchPart):
		return "NO", "NONEXISTENT", "no such body part"
	}
	c.log.Error("frontend: unexpected error", "command", c.cmdName, "err", err)
	return "NO", "SERVERBUG", "internal server error"
}
