package wire

import (
	"bufio"
	"errors"
	"io"
	"math"
)

// This file holds the byte-level machinery: reading bounded line chunks,
// literals, and skipping the rest of a rejected command.

// maxLiteralHeader is the longest literal announcement ("~{" 20 digits
// "+}"); resynchronisation keeps this much of a discarded line's tail.
const maxLiteralHeader = 32

// litBudgetFactor bounds the small literal octets buffered per command to
// litBudgetFactor×MaxSmallLiteral, so a command of many literals cannot
// make the decoder hold MaxLineLength/4 × MaxSmallLiteral octets.
const litBudgetFactor = 8

// readChunk reads the next line chunk of the current command.
func (d *Decoder) readChunk() error { return d.readChunkAt(false) }

// readChunkAt reads one line up to LF into d.line, without CRLF, counting
// it against MaxLineLength for the command. start says the chunk begins a
// command, where EOF before any octet is a clean io.EOF; elsewhere EOF is
// io.ErrUnexpectedEOF. An overlong line is discarded up to its LF in
// bufio-sized pieces (never buffered whole) and d.line keeps its last
// octets, so resync can see a literal announced at its end.
func (d *Decoder) readChunkAt(start bool) error {
	d.line, d.pos = d.line[:0], 0
	budget := d.lim.MaxLineLength - d.used
	for {
		frag, err := d.r.ReadSlice('\n')
		// +2 lets the CRLF itself exceed the budget.
		if len(d.line)+len(frag) > budget+2 {
			return d.discardLongLine(frag, err)
		}
		d.line = append(d.line, frag...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if start && len(d.line) == 0 {
				return io.EOF
			}
			return io.ErrUnexpectedEOF
		}
		return err
	}
	d.line = d.line[:len(d.line)-1] // LF
	if n := len(d.line); n > 0 && d.line[n-1] == '\r' {
		d.line = d.line[:n-1]
	}
	d.used += len(d.line)
	return nil
}

// discardLongLine skips to the end of a line that is over budget. frag and
// err are the last ReadSlice result.
func (d *Decoder) discardLongLine(frag []byte, err error) error {
	if d.used == 0 {
		d.tag = lineTag(d.line, frag)
	}
	tail := make([]byte, 0, 2*maxLiteralHeader)
	keep := func(b []byte) {
		tail = append(tail, b...)
		if len(tail) > maxLiteralHeader {
			tail = append(tail[:0], tail[len(tail)-maxLiteralHeader:]...)
		}
	}
	keep(d.line)
	keep(frag)
	for errors.Is(err, bufio.ErrBufferFull) {
		frag, err = d.r.ReadSlice('\n')
		keep(frag)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	tail = tail[:len(tail)-1]
	if n := len(tail); n > 0 && tail[n-1] == '\r' {
		tail = tail[:n-1]
	}
	d.line = append(d.line[:0], tail...)
	d.pos = len(d.line)
	d.used = d.lim.MaxLineLength
	return &SyntaxError{Msg: "Command line too long", Err: ErrLineTooLong}
}

// litHeader is a literal announcement: "{n}", "{n+}", "~{n}" or "~{n+}".
type litHeader struct {
	size   int64
	sync   bool
	binary bool
}

// parseLitHeader parses a literal announcement at d.pos; it must end the
// line chunk (RFC 9051 §4.3: the literal octets follow the CRLF).
func (d *Decoder) parseLitHeader() (litHeader, error) {
	h, n, ok := scanLitHeader(d.line[d.pos:])
	if !ok {
		return h, d.errf("Invalid literal")
	}
	if d.pos+n != len(d.line) {
		return h, d.errf("Literal must end the line")
	}
	d.pos += n
	return h, nil
}

// scanLitHeader parses a literal announcement at the start of b and
// returns its length in octets.
func scanLitHeader(b []byte) (h litHeader, n int, ok bool) {
	i := 0
	if i < len(b) && b[i] == '~' {
		h.binary = true
		i++
	}
	if i >= len(b) || b[i] != '{' {
		return h, 0, false
	}
	i++
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		c := int64(b[i] - '0')
		// number64 < 2^63; at most 20 digits so that resync, which looks
		// at the last maxLiteralHeader octets of a line, sees it whole.
		if h.size > (math.MaxInt64-c)/10 || i-start >= 20 {
			return h, 0, false
		}
		h.size = h.size*10 + c
		i++
	}
	if i == start {
		return h, 0, false
	}
	h.sync = true
	if i < len(b) && b[i] == '+' {
		h.sync = false
		i++
	}
	if i >= len(b) || b[i] != '}' {
		return h, 0, false
	}
	return h, i + 1, true
}

// trailingLiteral reports a literal announced at the very end of line.
func trailingLiteral(line []byte) (litHeader, bool) {
	if len(line) == 0 || line[len(line)-1] != '}' {
		return litHeader{}, false
	}
	from := len(line) - maxLiteralHeader
	if from < 0 {
		from = 0
	}
	for i := len(line) - 1; i >= from; i-- {
		if line[i] != '{' {
			continue
		}
		if i > 0 && line[i-1] == '~' {
			i--
		}
		h, n, ok := scanLitHeader(line[i:])
		return h, ok && i+n == len(line)
	}
	return litHeader{}, false
}

// tooBig is the error for a literal over its limit.
func (d *Decoder) tooBig() error {
	return &SyntaxError{Code: "TOOBIG", Msg: "Literal too big", Err: ErrLiteralTooBig}
}

// readSmallLiteral reads a literal announced at d.pos into memory, then the
// next line chunk. Literal8 is refused: only APPEND takes binary data.
func (d *Decoder) readSmallLiteral() (string, error) {
	h, err := d.parseLitHeader()
	if err != nil {
		return "", err
	}
	if h.binary {
		return "", d.errf("literal8 not allowed here")
	}
	budget := int64(litBudgetFactor*d.lim.MaxSmallLiteral - d.litUsed)
	if h.size > int64(d.lim.MaxSmallLiteral) || h.size > budget ||
		(!h.sync && h.size > d.lim.MaxNonSyncLiteral) {
		return "", d.tooBig()
	}
	if h.sync {
		if err := d.continuation(); err != nil {
			return "", err
		}
	}
	buf := make([]byte, h.size)
	if _, err := io.ReadFull(d.r, buf); err != nil {
		return "", unexpectedEOF(err)
	}
	d.litUsed += int(h.size)
	if err := d.readChunk(); err != nil {
		return "", err
	}
	// literal = *CHAR8: no NUL (RFC 9051 §9).
	for _, c := range buf {
		if c == 0 {
			return "", d.errf("NUL in literal")
		}
	}
	return string(buf), nil
}

func (d *Decoder) continuation() error {
	if d.cont == nil {
		return nil
	}
	return d.cont(continuationText)
}

// resync discards the rest of the current command after a syntax error:
// the rest of the line chunk, and for each non-synchronising literal
// announced at a chunk's end its octets and the next chunk. A
// synchronising literal is not awaited: the client waits for a
// continuation that never comes, and our BAD ends the command. At most
// 2×MaxNonSyncLiteral literal octets are discarded; beyond that the
// connection is given up (ErrLiteralTooBig).
func (d *Decoder) resync() error {
	var discarded int64
	for {
		h, ok := trailingLiteral(d.line)
		d.line, d.pos = d.line[:0], 0
		if !ok || h.sync {
			return nil
		}
		discarded += h.size
		if discarded > 2*d.lim.MaxNonSyncLiteral || discarded < 0 {
			return ErrLiteralTooBig
		}
		if _, err := io.CopyN(io.Discard, d.r, h.size); err != nil {
			return unexpectedEOF(err)
		}
		if err := d.readChunk(); err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				return err
			}
		}
	}
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// errf returns a syntax error; the tag is filled in by ReadCommand.
func (d *Decoder) errf(msg string) error {
	return &SyntaxError{Msg: msg}
}

// lineTag returns the tag at the start of an overlong command line (first
// buffered part, or frag when nothing was buffered), so its BAD can be
// tagged; "" when there is no valid tag.
func lineTag(head, frag []byte) string {
	if len(head) == 0 {
		head = frag
	}
	i := 0
	for i < len(head) && isTagChar(head[i]) {
		i++
	}
	if i > 0 && i < len(head) && head[i] == ' ' {
		return string(head[:i])
	}
	return ""
}
