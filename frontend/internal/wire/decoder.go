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
	// Command and UID name the command being parsed, once its name was read
	// and known (for logs and metrics); "" before that or if unknown.
	Command string
	UID     bool
	// Err is a sentinel the error wraps, if any (ErrLineTooLong,
	// ErrLiteralTooBig), for errors.Is.
	Err error
}

func (e *SyntaxError) Error() string { return "wire: " + e.Msg }

// Unwrap returns the sentinel behind the error, if any.
func (e *SyntaxError) Unwrap() error { return e.Err }

// ErrLineTooLong is returned (as the Msg of a SyntaxError when the decoder
// could resynchronise, or as a fatal error when it could not) for a command
// line over Limits.MaxLineLength.
var ErrLineTooLong = errors.New("wire: command line too long")

// ErrLiteralTooBig is wrapped by the SyntaxError (Code "TOOBIG") for a
// literal over its limit. It is returned bare, as a fatal error, when the
// client sent a non-synchronising literal too big to read and discard
// (over 2×Limits.MaxNonSyncLiteral): the caller answers BYE and closes.
var ErrLiteralTooBig = errors.New("wire: literal too big")

// ErrAppendState is returned by ReadAppendMessage when no APPEND is in
// progress or the previous message's Body was not read to EOF. It is a
// programming error of the caller; the connection cannot be resynchronised.
var ErrAppendState = errors.New("wire: APPEND read out of order")

// ContinuationFunc writes a continuation request ("+ text" CRLF) to the
// client and flushes it. The decoder calls it before reading a
// synchronising literal.
type ContinuationFunc func(text string) error

// continuationText is what the decoder sends before a synchronising literal.
const continuationText = "Ready for literal data"

// Decoder reads client commands from a connection. It is not safe for
// concurrent use.
//
// The decoder reads one line chunk at a time (up to CRLF) into line and
// parses from it; a literal always ends a chunk, so reading one means
// reading its octets and then the next chunk of the same command.
type Decoder struct {
	r    *bufio.Reader
	cont ContinuationFunc
	lim  Limits

	// State of the command being parsed.
	line    []byte // current line chunk, CRLF stripped
	pos     int    // parse position in line
	used    int    // line octets of this command so far (MaxLineLength)
	litUsed int    // small literal octets buffered for this command
	depth   int    // current list nesting
	// keyDepth is the recursion depth of search keys (NOT, OR, lists).
	keyDepth int
	tag      string
	name     string // command name once known, for SyntaxError
	uid      bool
	app      *appendState // non-nil between an APPEND and its end
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r *bufio.Reader, cont ContinuationFunc, lim Limits) *Decoder {
	return &Decoder{r: r, cont: cont, lim: lim}
}

// ReadCommand reads the next command. It returns a *SyntaxError for a
// malformed command (the connection stays usable), io.EOF when the client
// closed the connection, or another error when the connection cannot be
// used any more (I/O error, an oversized non-synchronising literal).
//
// An APPEND left unfinished by the caller is skipped first (SkipCommand).
func (d *Decoder) ReadCommand() (*Command, error) {
	if d.app != nil {
		if err := d.SkipCommand(); err != nil {
			return nil, err
		}
	}
	cmd, err := d.readCommand()
	if err != nil {
		var se *SyntaxError
		if !errors.As(err, &se) {
			d.app = nil
			return nil, err
		}
		d.app = nil
		if rerr := d.resync(); rerr != nil {
			return nil, rerr
		}
		se.Tag, se.Command, se.UID = d.tag, d.name, d.uid
		return nil, se
	}
	return cmd, nil
}

// ReadAppendMessage reads the next message of the APPEND returned by the
// last ReadCommand. It returns (nil, nil) when the command line ended. The
// previous message's Body must have been read to EOF.
//
// A message over Limits.MaxLiteral (or a non-synchronising one over
// Limits.MaxNonSyncLiteral) yields a *SyntaxError with Code "TOOBIG". For a
// synchronising literal no continuation was sent, so the client sends
// nothing more; a non-synchronising one is read and discarded when it is at
// most 2×MaxNonSyncLiteral octets, otherwise ErrLiteralTooBig is returned
// as a fatal error (the client is sending octets we refuse to swallow).
func (d *Decoder) ReadAppendMessage() (*AppendMessage, error) {
	msg, err := d.readAppendMessage()
	if err != nil {
		return nil, d.failAppend(err)
	}
	return msg, nil
}

// failAppend ends the APPEND in progress after err: a *SyntaxError is
// returned once the rest of the command was skipped (resync), with its tag
// filled in; any other error means the connection is done.
func (d *Decoder) failAppend(err error) error {
	d.app = nil
	var se *SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	if rerr := d.resync(); rerr != nil {
		return rerr
	}
	se.Tag, se.Command, se.UID = d.tag, d.name, d.uid
	return se
}

// SkipCommand discards the rest of the current command after the caller has
// decided to refuse it (e.g. APPEND to a missing mailbox): a synchronising
// literal that was not yet accepted is not read (the client is waiting for
// our answer), a non-synchronising one is read and discarded.
//
// It is a no-op when no command is in progress (only APPEND leaves one).
func (d *Decoder) SkipCommand() error {
	app := d.app
	d.app = nil
	if app == nil {
		return nil
	}
	if b := app.body; b != nil {
		if b.needCont {
			// The client waits for our continuation and sent nothing
			// after the literal announcement: nothing to discard.
			d.line, d.pos = d.line[:0], 0
			return nil
		}
		if err := b.discard(); err != nil {
			return err
		}
		if err := d.readChunk(); err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				return err
			}
		}
	}
	return d.resync()
}

// ReadLine reads one raw line (AUTHENTICATE responses, IDLE's DONE), without
// its CRLF, bounded by Limits.MaxLineLength. A longer line is discarded and
// reported as a *SyntaxError wrapping ErrLineTooLong.
func (d *Decoder) ReadLine() (string, error) {
	d.used = 0
	if err := d.readChunkAt(true); err != nil {
		return "", err
	}
	s := string(d.line)
	d.line, d.pos = d.line[:0], 0
	return s, nil
}

// Buffered reports how many bytes the client sent that were not consumed
// yet. STARTTLS must refuse to start TLS over pipelined plaintext
// (RFC 9051 §6.2.1 / STARTTLS command injection).
func (d *Decoder) Buffered() int { return d.r.Buffered() }
