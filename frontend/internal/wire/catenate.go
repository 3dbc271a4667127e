package wire

import (
	"bufio"
	"fmt"
	"strings"
)

// This file reads the CATENATE form of an APPEND message (RFC 4469 §5):
//
//	append-data =/ "CATENATE" SP "(" cat-part *(SP cat-part) ")"
//	cat-part = text-literal / url
//	text-literal = "TEXT" SP literal
//	url = "URL" SP astring
//
// ReadAppendMessage stops after the "(" and returns an AppendMessage with
// Catenate set; ReadCatPart then hands out one part at a time, a TEXT
// literal streamed like a message literal (its continuation is sent on the
// first Read, after the caller had its chance to refuse it), and ends at
// the ")".
//
// TEXT also takes a literal8 ("~{n}"): RFC 4469 predates literal8 in
// RFC 4466's append-data, but a text part is message data like the APPEND
// literal that RFC 3516 §4.4 lets carry NULs, and a server advertising
// BINARY should not refuse binary data only because it comes in parts.

// catState tracks a CATENATE list between ReadAppendMessage and its ")".
type catState struct {
	parts int // cat-parts read so far
}

// CatPart is one cat-part of a CATENATE message.
type CatPart struct {
	// Text is true for a TEXT literal, false for a URL.
	Text bool
	// URL is the url astring as sent (RFC 4469 §5), for a URL part.
	URL string
	// Size, Binary and Body are the TEXT literal, as in AppendMessage: the
	// caller reads Body to EOF, or calls Decoder.SkipCommand, before the
	// next ReadCatPart.
	Size   int64
	Binary bool
	Body   interface{ Read([]byte) (int, error) }
}

// openCatenate reads "CATENATE" SP "(" at the start of append-data.
func (d *Decoder) openCatenate() error {
	kw, err := d.keyword()
	if err != nil || kw != "CATENATE" {
		return d.errf("Expected message literal or CATENATE")
	}
	if err := d.sp(); err != nil {
		return err
	}
	if err := d.open(); err != nil {
		return err
	}
	d.app.cat = &catState{}
	return nil
}

// ReadCatPart reads the next part of the CATENATE message returned by the
// last ReadAppendMessage. It returns (nil, nil) at the list's ")"; the
// caller then goes on with ReadAppendMessage. The previous TEXT part's Body
// must have been read to EOF. Errors are as for ReadAppendMessage: a TEXT
// literal over Limits.MaxLiteral (or a non-synchronising one over
// Limits.MaxNonSyncLiteral) is a *SyntaxError with Code "TOOBIG".
func (d *Decoder) ReadCatPart() (*CatPart, error) {
	p, err := d.readCatPart()
	if err != nil {
		return nil, d.failAppend(err)
	}
	return p, nil
}

func (d *Decoder) readCatPart() (*CatPart, error) {
	a := d.app
	if a == nil || a.cat == nil {
		return nil, fmt.Errorf("%w: no CATENATE in progress", ErrAppendState)
	}
	if b := a.body; b != nil {
		if b.remaining > 0 {
			return nil, fmt.Errorf("%w: previous TEXT part not read to EOF", ErrAppendState)
		}
		if err := b.finish(); err != nil {
			return nil, err
		}
		a.body = nil
		if err := d.readChunk(); err != nil {
			return nil, err
		}
	}
	if a.cat.parts > 0 {
		if d.peekIs(')') {
			if err := d.close(); err != nil {
				return nil, err
			}
			a.cat = nil
			return nil, nil
		}
		if !d.maybe(' ') {
			return nil, d.errf("Expected SP or ')' after a CATENATE part")
		}
	}
	kw, err := d.keyword()
	if err != nil {
		return nil, d.errf("Expected TEXT or URL")
	}
	switch kw {
	case "URL":
		if err := d.sp(); err != nil {
			return nil, err
		}
		url, err := d.astring()
		if err != nil {
			return nil, err
		}
		a.cat.parts++
		return &CatPart{URL: url}, nil
	case "TEXT":
		if err := d.sp(); err != nil {
			return nil, err
		}
		if c := d.peek(); c != '{' && c != '~' {
			return nil, d.errf("Expected literal after TEXT")
		}
		h, err := d.parseLitHeader()
		if err != nil {
			return nil, err
		}
		if h.size > d.lim.MaxLiteral || (!h.sync && h.size > d.lim.MaxNonSyncLiteral) {
			return nil, d.tooBig()
		}
		body := &literalReader{d: d, remaining: h.size, needCont: h.sync}
		a.body = body
		a.cat.parts++
		return &CatPart{Text: true, Size: h.size, Binary: h.binary, Body: body}, nil
	}
	return nil, d.errf("Expected TEXT or URL")
}

// ParseSection parses a section-spec given as a string, as IMAP URLs carry
// it (RFC 5092 §6: ";SECTION=" names what BODY[<section>] would), into the
// Section FETCH uses. "" is the whole message. Literals are refused: the
// string has no continuation to offer.
func ParseSection(s string) (*Section, error) {
	if strings.ContainsAny(s, "[]{\r\n") {
		return nil, &SyntaxError{Msg: "Invalid section"}
	}
	lim := DefaultLimits()
	d := &Decoder{
		r:    bufio.NewReader(strings.NewReader("")),
		lim:  lim,
		line: []byte("[" + s + "]"),
	}
	sec, err := d.section()
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return sec, nil
}
