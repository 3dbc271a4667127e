package wire

import (
	"bufio"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// Encoder writes server responses. Methods append to a buffered writer;
// nothing reaches the client until Flush. Not safe for concurrent use: the
// session serialises all writes (IDLE notifications included).
//
// Errors are sticky: after a write fails, every method is a no-op and Flush
// returns the first error.
type Encoder struct {
	w   *bufio.Writer
	err error
	// UTF8 allows quoted strings with UTF-8 (RFC 6855 UTF8=ACCEPT, or
	// IMAP4rev2); otherwise non-ASCII strings are sent as literals.
	UTF8 bool
}

// NewEncoder returns an encoder writing to w, for a connection: a 32 KiB
// buffer, so that a page of FETCH responses leaves in few writes.
func NewEncoder(w io.Writer) *Encoder { return NewEncoderSize(w, 32*1024) }

// NewEncoderSize returns an encoder writing to w through a buffer of size
// bytes (small ones to render a string).
func NewEncoderSize(w io.Writer, size int) *Encoder {
	return &Encoder{w: bufio.NewWriterSize(w, size)}
}

// Reset makes the encoder write to w (after STARTTLS or COMPRESS).
func (e *Encoder) Reset(w io.Writer) { e.w.Reset(w); e.err = nil }

// Err returns the first write error.
func (e *Encoder) Err() error { return e.err }

// Flush sends everything buffered.
func (e *Encoder) Flush() error {
	if e.err == nil {
		e.err = e.w.Flush()
	}
	return e.err
}

// Raw writes s as is. For fixed protocol text and pre-rendered structures
// (ENVELOPE, BODYSTRUCTURE stored at APPEND time).
func (e *Encoder) Raw(s string) *Encoder {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
	return e
}

// RawBytes writes b as is.
func (e *Encoder) RawBytes(b []byte) *Encoder {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
	return e
}

// SP writes a space.
func (e *Encoder) SP() *Encoder { return e.Raw(" ") }

// CRLF ends a response line.
func (e *Encoder) CRLF() *Encoder { return e.Raw("\r\n") }

// Number writes an unsigned number.
func (e *Encoder) Number(n uint64) *Encoder {
	if e.err == nil {
		// Formatted in the buffer's free space: no allocation.
		_, e.err = e.w.Write(strconv.AppendUint(e.w.AvailableBuffer(), n, 10))
	}
	return e
}

// Atom writes s as an atom; the caller guarantees it is one.
func (e *Encoder) Atom(s string) *Encoder { return e.Raw(s) }

// String writes s as a quoted string when it can be one, else as a literal
// (RFC 9051 §4.3).
func (e *Encoder) String(s string) *Encoder {
	if !e.quotable(s) {
		return e.literalString(s)
	}
	e.Raw(`"`)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			e.Raw(`\`)
		}
		if e.err == nil {
			e.err = e.w.WriteByte(c)
		}
	}
	return e.Raw(`"`)
}

// AString writes s as an atom when it is a valid astring atom, else as a
// string (mailbox names, ID values).
func (e *Encoder) AString(s string) *Encoder {
	if isAtom(s) && s != "NIL" {
		return e.Raw(s)
	}
	return e.String(s)
}

// NString writes NIL for nil, else a string.
func (e *Encoder) NString(s *string) *Encoder {
	if s == nil {
		return e.Raw("NIL")
	}
	return e.String(*s)
}

// Literal writes a literal of size octets copied from r ("{n}" CRLF data).
// With binary it writes a literal8 ("~{n}", RFC 3516). If r yields fewer
// than size octets the connection is broken: the error is returned and the
// caller must close it.
func (e *Encoder) Literal(size int64, r io.Reader, binary bool) error {
	if binary {
		e.Raw("~")
	}
	e.Raw("{").Number(uint64(size)).Raw("}\r\n")
	if e.err != nil {
		return e.err
	}
	n, err := io.CopyN(e.w, r, size)
	if err != nil && n < size {
		if e.err == nil {
			e.err = err
		}
		return e.err
	}
	return e.err
}

// LiteralBytes writes b as a literal.
func (e *Encoder) LiteralBytes(b []byte) *Encoder {
	e.Raw("{").Number(uint64(len(b))).Raw("}\r\n")
	return e.RawBytes(b)
}

// LiteralBytes8 writes b as a literal8 when binary (RFC 3516), else as a
// literal: Literal for content already in memory.
func (e *Encoder) LiteralBytes8(b []byte, binary bool) *Encoder {
	if binary {
		e.Raw("~")
	}
	return e.LiteralBytes(b)
}

func (e *Encoder) literalString(s string) *Encoder {
	e.Raw("{").Number(uint64(len(s))).Raw("}\r\n")
	return e.Raw(s)
}

// DateTime writes an IMAP date-time in quotes (RFC 9051 §9 date-time).
func (e *Encoder) DateTime(t time.Time) *Encoder {
	return e.Raw(`"`).Raw(t.Format("02-Jan-2006 15:04:05 -0700")).Raw(`"`)
}

// StatusResponse writes a status response: tag is "*" for untagged; status
// is OK, NO, BAD, PREAUTH or BYE; code is a response code without brackets
// ("" for none), e.g. "UIDNEXT 12" or "TRYCREATE". It does not flush.
func (e *Encoder) StatusResponse(tag, status, code, text string) *Encoder {
	e.Raw(tag).SP().Raw(status).SP()
	if code != "" {
		e.Raw("[").Raw(code).Raw("] ")
	}
	if text == "" {
		text = status
	}
	return e.Raw(sanitizeText(text)).CRLF()
}

// sanitizeText keeps a human-readable text on one line (no CR/LF can be
// injected into a response from, say, an error message).
func sanitizeText(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			b := []byte(s)
			for j := range b {
				if b[j] == '\r' || b[j] == '\n' {
					b[j] = ' '
				}
			}
			return string(b)
		}
	}
	return s
}

func (e *Encoder) quotable(s string) bool {
	if len(s) > 1024 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' || c == 0 {
			return false
		}
		if c >= 0x80 && !e.UTF8 {
			return false
		}
	}
	return !(e.UTF8 && !utf8.ValidString(s))
}

// isAtom reports whether s is a non-empty astring atom (ASTRING-CHAR*,
// RFC 9051 §9: ATOM-CHAR or resp-specials "]").
func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			return false
		}
		switch c {
		case '(', ')', '{', '%', '*', '"', '\\':
			return false
		}
	}
	return true
}
