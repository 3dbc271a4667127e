package wire

import (
	"bufio"
	"errors"
)

// Limits bounds what a Decoder accepts.
type Limits struct {
	// MaxLineLength is the longest command line, excluding literals.
	MaxLineLength int
	// MaxLiteral is the largest APPEND message literal (APPENDLIMIT).
	MaxLiteral int64
	// MaxSmallLiteral is the largest literal anywhere else (mailbox names,
	// passwords, search strings), which the decoder buffers in memory.
	MaxSmallLiteral int
	// MaxNesting is the deepest nesting of parenthesised lists.
	MaxNesting int
	// MaxNonSyncLiteral is the largest non-synchronising literal
	// (LITERAL- of RFC 7888 allows 4096; LITERAL+ allows any size).
	MaxNonSyncLiteral int64
}

// DefaultLimits are sane defaults for a public server.
func DefaultLimits() Limits {
	return Limits{
		MaxLineLength:     64 * 1024,
		MaxLiteral:        64 << 20,
		MaxSmallLiteral:   64 * 1024,
		MaxNesting:        32,
		MaxNonSyncLiteral: 64 << 20,
	}
}

// SyntaxError is a malformed command. The decoder has already discarded the
// rest of the command, so the caller answers "Tag BAD Msg" (untagged BAD if
// Tag is empty) and reads the next command.
type SyntaxError struct {
	Tag  string
	Code string // RFC 5530 response code to send, e.g. "TOOBIG"; usually ""
	Msg  string
}

func (e *SyntaxError) Error() string { return "wire: " + e.Msg }

// ErrLineTooLong is returned (as the Msg of a SyntaxError when the decoder
// could resynchronise, or as a fatal error when it could not) for a command
// line over Limits.MaxLineLength.
var ErrLineTooLong = errors.New("wire: command line too long")

// ContinuationFunc writes a continuation request ("+ text" CRLF) to the
// client and flushes it. The decoder calls it before reading a
// synchronising literal.
type ContinuationFunc func(text string) error

// Decoder reads client commands from a connection. It is not safe for
// concurrent use.
type Decoder struct {
	r    *bufio.Reader
	cont ContinuationFunc
	lim  Limits
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r *bufio.Reader, cont ContinuationFunc, lim Limits) *Decoder {
	return &Decoder{r: r, cont: cont, lim: lim}
}

// ReadCommand reads the next command. It returns a *SyntaxError for a
// malformed command (the connection stays usable), io.EOF when the client
// closed the connection, or another error when the connection cannot be
// used any more (I/O error, an oversized non-synchronising literal).
func (d *Decoder) ReadCommand() (*Command, error) {
	return nil, errors.New("wire: decoder not implemented")
}

// ReadAppendMessage reads the next message of the APPEND returned by the
// last ReadCommand. It returns (nil, nil) when the command line ended. The
// previous message's Body must have been read to EOF.
func (d *Decoder) ReadAppendMessage() (*AppendMessage, error) {
	return nil, errors.New("wire: decoder not implemented")
}

// SkipCommand discards the rest of the current command after the caller has
// decided to refuse it (e.g. APPEND to a missing mailbox): a synchronising
// literal that was not yet accepted is not read (the client is waiting for
// our answer), a non-synchronising one is read and discarded.
func (d *Decoder) SkipCommand() error {
	return errors.New("wire: decoder not implemented")
}

// ReadLine reads one raw line (AUTHENTICATE responses, IDLE's DONE), without
// its CRLF, bounded by Limits.MaxLineLength.
func (d *Decoder) ReadLine() (string, error) {
	return "", errors.New("wire: decoder not implemented")
}

// Buffered reports how many bytes the client sent that were not consumed
// yet. STARTTLS must refuse to start TLS over pipelined plaintext
// (RFC 9051 §6.2.1 / STARTTLS command injection).
func (d *Decoder) Buffered() int { return d.r.Buffered() }
