package wire

import (
	"errors"
	"fmt"
	"io"
)

// This file streams APPEND (RFC 9051 §6.3.12, MULTIAPPEND RFC 3502,
// literal8 RFC 3516 §4.4, LITERAL+ RFC 7888, the UTF8 data extension of
// RFC 6855 §4): ReadCommand stops after the
// mailbox, ReadAppendMessage reads one message header and hands out the
// literal as a reader, and the next call continues the same line. A
// CATENATE message (RFC 4469) hands out its parts through ReadCatPart
// instead (catenate.go).

// appendState tracks an APPEND between ReadCommand and its end.
type appendState struct {
	started bool           // at least one message announced
	body    *literalReader // the last message's (or TEXT part's) literal, nil before the first
	cat     *catState      // non-nil while a CATENATE list is being read (catenate.go)
	// utf8 is set while the last message is a UTF8 data item, whose
	// literal8 is followed by ")" (RFC 6855 §4).
	utf8 bool
}

// parseAppend: APPEND SP mailbox, then 1*(SP append-message) read by
// ReadAppendMessage.
func parseAppend(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.astring()
	if err != nil {
		return err
	}
	cmd.Args = &AppendArgs{Mailbox: mbox}
	d.app = &appendState{}
	return nil
}

// readAppendMessage reads [SP flag-list] [SP date-time] SP literal, or
// notices the end of the command line.
func (d *Decoder) readAppendMessage() (*AppendMessage, error) {
	a := d.app
	if a == nil {
		return nil, fmt.Errorf("%w: no APPEND in progress", ErrAppendState)
	}
	if a.cat != nil {
		return nil, fmt.Errorf("%w: CATENATE parts not read to the end", ErrAppendState)
	}
	if b := a.body; b != nil {
		if b.remaining > 0 {
			return nil, fmt.Errorf("%w: previous message body not read to EOF", ErrAppendState)
		}
		if err := b.finish(); err != nil {
			return nil, err
		}
		a.body = nil
		if err := d.readChunk(); err != nil {
			return nil, err
		}
		if a.utf8 {
			a.utf8 = false
			if !d.maybe(')') {
				return nil, d.errf("Expected ) after UTF8 literal")
			}
		}
	}
	if d.atEnd() {
		if !a.started {
			return nil, d.errf("Missing message literal")
		}
		d.app = nil
		return nil, nil
	}
	if err := d.sp(); err != nil {
		return nil, err
	}
	msg := &AppendMessage{}
	if d.peekIs('(') {
		flags, err := d.flagList()
		if err != nil {
			return nil, err
		}
		msg.Flags = flags
		if err := d.sp(); err != nil {
			return nil, err
		}
	}
	if d.peekIs('"') {
		t, err := d.dateTime()
		if err != nil {
			return nil, err
		}
		msg.Date = t
		if err := d.sp(); err != nil {
			return nil, err
		}
	}
	if c := d.peek(); c == 'C' || c == 'c' {
		// RFC 4469 §5: append-data =/ "CATENATE" SP "(" cat-part ...
		if err := d.openCatenate(); err != nil {
			return nil, err
		}
		a.started = true
		msg.Catenate = true
		return msg, nil
	}
	utf8 := d.peekKeyword("UTF8")
	if utf8 {
		// RFC 6855 §4: utf8-literal = "UTF8" SP "(" literal8 ")".
		d.pos += len("UTF8")
		if err := d.sp(); err != nil {
			return nil, err
		}
		if !d.maybe('(') {
			return nil, d.errf("Expected ( after UTF8")
		}
		if d.peek() != '~' {
			return nil, d.errf("UTF8 data must be a literal8 (~{n})")
		}
	}
	if c := d.peek(); c != '{' && c != '~' {
		return nil, d.errf("Expected message literal")
	}
	h, err := d.parseLitHeader()
	if err != nil {
		return nil, err
	}
	// RFC 7888 §4: a refused non-synchronising literal gets BAD [TOOBIG];
	// resync then discards its octets (or gives up, see ReadAppendMessage).
	if h.size > d.lim.MaxLiteral || (!h.sync && h.size > d.lim.MaxNonSyncLiteral) {
		return nil, d.tooBig()
	}
	body := &literalReader{d: d, remaining: h.size, needCont: h.sync}
	a.body, a.started, a.utf8 = body, true, utf8
	msg.Size, msg.Binary, msg.UTF8, msg.Body = h.size, h.binary, utf8, body
	return msg, nil
}

// literalReader streams one APPEND literal straight from the connection.
type literalReader struct {
	d         *Decoder
	remaining int64
	needCont  bool // synchronising literal not yet accepted
	err       error
}

// finish sends the continuation if it is still owed: a synchronising
// literal of size 0 still needs one before the client goes on.
func (b *literalReader) finish() error {
	if !b.needCont {
		return nil
	}
	b.needCont = false
	return b.d.continuation()
}

func (b *literalReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if err := b.finish(); err != nil {
		b.err = err
		return 0, err
	}
	if b.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.d.r.Read(p)
	b.remaining -= int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) && b.remaining == 0 {
			return n, nil
		}
		b.err = unexpectedEOF(err)
		return n, b.err
	}
	return n, nil
}

// discard reads and drops what is left of the literal.
func (b *literalReader) discard() error {
	_, err := io.Copy(io.Discard, b)
	return err
}
