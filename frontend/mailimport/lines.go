package mailimport

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxLine is the longest line handled as one piece; longer lines are
// passed on in pieces (only a line's first piece is ever inspected).
const maxLine = 64 * 1024

// lineReader reads lines of any length from r in pieces of at most
// maxLine octets.
type lineReader struct {
	br      *bufio.Reader
	atStart bool // the next piece starts a line
	line    int  // number of the line being read, from 1
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, maxLine), atStart: true}
}

// piece is one piece of a line: its content without the line ending.
type piece struct {
	text  []byte // valid until the next call
	start bool   // first piece of its line
	end   bool   // last piece of its line (a line ending or EOF followed)
}

// next returns the next piece, or io.EOF.
func (l *lineReader) next() (piece, error) {
	b, err := l.br.ReadSlice('\n')
	p := piece{start: l.atStart}
	if p.start {
		l.line++
	}
	switch {
	case err == nil:
		p.text, p.end = trimEOL(b), true
	case errors.Is(err, bufio.ErrBufferFull):
		p.text = b
		// Do not split a CR LF pair across pieces.
		if n := len(b); n > 0 && b[n-1] == '\r' {
			l.br.UnreadByte()
			p.text = b[:n-1]
		}
	case errors.Is(err, io.EOF):
		if len(b) == 0 {
			return piece{}, io.EOF
		}
		p.text, p.end = trimEOL(b), true
	default:
		return piece{}, err
	}
	l.atStart = p.end
	return p, nil
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// crlf wraps a reader and ends every line with CRLF (a bare LF becomes
// CRLF; the last line gets one if it has none). It is how Maildir bodies
// are normalised.
type crlf struct {
	l   *lineReader
	out []byte
	err error
}

func newCRLF(l *lineReader) *crlf { return &crlf{l: l} }

func (c *crlf) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		pc, err := c.l.next()
		if err != nil {
			c.err = err
			continue
		}
		c.out = append(c.out[:0], pc.text...)
		if pc.end {
			c.out = append(c.out, '\r', '\n')
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}
