package wire

import (
	"strings"
	"unicode/utf8"
)

// This file holds the lexical productions of RFC 9051 §9 over the current
// line chunk: atoms, strings (quoted and literal), numbers, flags, lists.

func (d *Decoder) atEnd() bool { return d.pos >= len(d.line) }

func (d *Decoder) peek() byte {
	if d.pos >= len(d.line) {
		return 0
	}
	return d.line[d.pos]
}

// peekIs reports whether the next octet is c.
func (d *Decoder) peekIs(c byte) bool { return d.pos < len(d.line) && d.line[d.pos] == c }

func (d *Decoder) expect(c byte) error {
	if !d.peekIs(c) {
		switch c {
		case ' ':
			if d.atEnd() {
				return d.errf("Missing argument")
			}
			return d.errf("Expected SP")
		case ')':
			return d.errf("Expected ')'")
		}
		return d.errf("Expected '" + string(c) + "'")
	}
	d.pos++
	return nil
}

func (d *Decoder) sp() error { return d.expect(' ') }

// maybe consumes c if it is next.
func (d *Decoder) maybe(c byte) bool {
	if d.peekIs(c) {
		d.pos++
		return true
	}
	return false
}

// end checks that the command has no further arguments.
func (d *Decoder) end() error {
	if !d.atEnd() {
		return d.errf("Unexpected extra arguments")
	}
	return nil
}

// open consumes "(" and enters one nesting level (Limits.MaxNesting).
func (d *Decoder) open() error {
	if err := d.expect('('); err != nil {
		return err
	}
	d.depth++
	if d.depth > d.lim.MaxNesting {
		return d.errf("Too deeply nested")
	}
	return nil
}

// close consumes ")" and leaves a nesting level.
func (d *Decoder) close() error {
	if err := d.expect(')'); err != nil {
		return err
	}
	d.depth--
	return nil
}

// RFC 9051 §9: atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
// quoted-specials / resp-specials; CHAR is 7-bit.
func isAtomChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	switch c {
	case '(', ')', '{', '%', '*', '"', '\\', ']':
		return false
	}
	return true
}

// ASTRING-CHAR = ATOM-CHAR / resp-specials.
func isAStringChar(c byte) bool { return isAtomChar(c) || c == ']' }

// list-char = ATOM-CHAR / list-wildcards / resp-specials.
func isListChar(c byte) bool { return isAStringChar(c) || c == '%' || c == '*' }

// tag = 1*<any ASTRING-CHAR except "+">.
func isTagChar(c byte) bool { return isAStringChar(c) && c != '+' }

// span returns the longest run of octets accepted by ok.
func (d *Decoder) span(ok func(byte) bool) string {
	start := d.pos
	for d.pos < len(d.line) && ok(d.line[d.pos]) {
		d.pos++
	}
	return string(d.line[start:d.pos])
}

// atom reads 1*ATOM-CHAR.
func (d *Decoder) atom() (string, error) {
	s := d.span(isAtomChar)
	if s == "" {
		return "", d.errf("Expected atom")
	}
	return s, nil
}

// keyword reads an atom and upper-cases it (command names, options).
func (d *Decoder) keyword() (string, error) {
	s, err := d.atom()
	return strings.ToUpper(s), err
}

// atString reports whether a string (quoted, literal or literal8) starts
// at d.pos; "~" alone is an ordinary atom character.
func (d *Decoder) atString() bool {
	switch d.peek() {
	case '"', '{':
		return true
	case '~':
		return d.pos+1 < len(d.line) && d.line[d.pos+1] == '{'
	}
	return false
}

// astring reads 1*ASTRING-CHAR / string.
func (d *Decoder) astring() (string, error) {
	if d.atString() {
		return d.str()
	}
	s := d.span(isAStringChar)
	if s == "" {
		return "", d.errf("Expected string")
	}
	return s, nil
}

// str reads string = quoted / literal.
func (d *Decoder) str() (string, error) {
	if d.peekIs('"') {
		return d.quoted()
	}
	if d.atString() {
		return d.readSmallLiteral()
	}
	return "", d.errf("Expected string")
}

// nstring reads string / NIL.
func (d *Decoder) nstring() (*string, error) {
	if d.peek() == 'N' || d.peek() == 'n' {
		a, err := d.atom()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(a, "NIL") {
			return nil, d.errf("Expected string or NIL")
		}
		return nil, nil
	}
	s, err := d.str()
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// quoted reads DQUOTE *QUOTED-CHAR DQUOTE (RFC 9051 §9): TEXT-CHAR or valid
// UTF-8, with only \" and \\ escaped.
func (d *Decoder) quoted() (string, error) {
	if err := d.expect('"'); err != nil {
		return "", err
	}
	start := d.pos
	escaped := false
	for d.pos < len(d.line) {
		c := d.line[d.pos]
		switch {
		case c == '"':
			raw := d.line[start:d.pos]
			d.pos++
			if !escaped {
				return string(raw), nil
			}
			return unescape(raw), nil
		case c == '\\':
			if d.pos+1 >= len(d.line) || (d.line[d.pos+1] != '"' && d.line[d.pos+1] != '\\') {
				return "", d.errf("Invalid escape in quoted string")
			}
			escaped = true
			d.pos += 2
		case c == 0 || c == '\r' || c == '\n':
			return "", d.errf("Invalid character in quoted string")
		case c < 0x80:
			d.pos++
		default:
			r, n := utf8.DecodeRune(d.line[d.pos:])
			if r == utf8.RuneError && n <= 1 {
				return "", d.errf("Invalid UTF-8 in quoted string")
			}
			d.pos += n
		}
	}
	return "", d.errf("Unterminated quoted string")
}

func unescape(raw []byte) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' {
			i++
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}

// listMailbox reads list-mailbox = 1*list-char / string (RFC 9051 §9).
func (d *Decoder) listMailbox() (string, error) {
	if d.atString() {
		return d.str()
	}
	s := d.span(isListChar)
	if s == "" {
		return "", d.errf("Expected mailbox pattern")
	}
	return s, nil
}

// number reads a number (uint32, RFC 9051 §9).
func (d *Decoder) number() (uint32, error) {
	n, err := d.number64()
	if err != nil {
		return 0, err
	}
	if n > 1<<32-1 {
		return 0, d.errf("Number out of range")
	}
	return uint32(n), nil
}

// nzNumber reads a non-zero number.
func (d *Decoder) nzNumber() (uint32, error) {
	n, err := d.number()
	if err == nil && n == 0 {
		return 0, d.errf("Expected non-zero number")
	}
	return n, err
}

// number64 reads 1*DIGIT as a number64 (< 2^63, RFC 9051 §9).
func (d *Decoder) number64() (uint64, error) {
	start := d.pos
	var n uint64
	for d.pos < len(d.line) && d.line[d.pos] >= '0' && d.line[d.pos] <= '9' {
		n = n*10 + uint64(d.line[d.pos]-'0')
		d.pos++
		if d.pos-start > 19 || n > 1<<63-1 {
			return 0, d.errf("Number out of range")
		}
	}
	if d.pos == start {
		return 0, d.errf("Expected number")
	}
	return n, nil
}

// systemFlags maps upper-cased system flags to their canonical spelling.
var systemFlags = map[string]string{
	`\ANSWERED`: `\Answered`,
	`\FLAGGED`:  `\Flagged`,
	`\DELETED`:  `\Deleted`,
	`\SEEN`:     `\Seen`,
	`\DRAFT`:    `\Draft`,
	`\RECENT`:   `\Recent`,
}

// flag reads flag = "\" atom / keyword (RFC 9051 §9 flag, flag-extension).
// System flags are canonicalised ("\seen" → "\Seen"); keywords and
// extension flags are kept as sent.
func (d *Decoder) flag() (string, error) {
	bs := d.maybe('\\')
	a, err := d.atom()
	if err != nil {
		return "", d.errf("Expected flag")
	}
	if !bs {
		return a, nil
	}
	f := `\` + a
	if c, ok := systemFlags[strings.ToUpper(f)]; ok {
		return c, nil
	}
	return f, nil
}

// list reads "(" [item *(SP item)] ")", calling item for each element;
// with nonEmpty the list must hold at least one. Every parenthesised list
// of the grammar goes through here, so nesting limits apply to all.
func (d *Decoder) list(nonEmpty bool, item func() error) error {
	if err := d.open(); err != nil {
		return err
	}
	if !nonEmpty && d.peekIs(')') {
		return d.close()
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if !d.maybe(' ') {
			return d.close()
		}
	}
}

// flagList reads flag-list = "(" [flag *(SP flag)] ")".
func (d *Decoder) flagList() ([]string, error) {
	flags := []string{}
	err := d.list(false, func() error {
		f, err := d.flag()
		flags = append(flags, f)
		return err
	})
	return flags, err
}

// atomList reads "(" [atom *(SP atom)] ")" with upper-cased atoms, the
// shape of most option lists.
func (d *Decoder) atomList() ([]string, error) {
	list := []string{}
	err := d.list(false, func() error {
		a, err := d.keyword()
		list = append(list, a)
		return err
	})
	return list, err
}
