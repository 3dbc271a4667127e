package message

import "strings"

// lexer reads the structured header values ENVELOPE and BODYSTRUCTURE need
// (address lists, RFC 5322 §3.4; Content-Type and Content-Disposition,
// RFC 2045 §5.1, RFC 2183) with the lexical rules of RFC 5322 §3.2, and
// reads malformed input the way Dovecot does, so that both servers report
// the same structure for the same bytes
// (frontend/testdata/dovediff/DIFFERENCES.md). The readers return how the
// value continues after the token and the white space and comments that
// follow it: more (there is more input), atEnd (the value ended cleanly) or
// broken (the token was malformed, or a comment never closed); a caller
// that backtracks resets pos.
type lexer struct {
	s   string
	pos int
	// comment is the text of the last comment skipped, without its
	// parentheses and quoting backslashes: an address without a display
	// name takes its name from it (RFC 5322 §3.4 allows no such thing,
	// but old mailers wrote "a@b.c (Name)").
	comment string
}

// Results of the lexer's readers.
const (
	broken = -1
	atEnd  = 0
	more   = 1
)

// char classes: atext (RFC 5322 §3.2.3: printable ASCII but specials;
// octets above 127 count, for 8-bit headers), and the subset that is also
// an RFC 2045 token character (atext but "/", "=" and "?").
const (
	clAtext = 1 << iota
	clToken
)

var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c <= ' ' || c == 0x7f:
		case c >= 0x80:
			t[c] = clAtext | clToken
		case strings.IndexByte(`"(),.:;<>@[\]`, byte(c)) >= 0:
		case strings.IndexByte(`/=?`, byte(c)) >= 0:
			t[c] = clAtext
		default:
			t[c] = clAtext | clToken
		}
	}
	return t
}()

func isAtext(c byte) bool { return charClass[c]&clAtext != 0 }

// isTokenChar: an RFC 2045 §5.1 token character, or '.', which real
// Content-Types carry ("application/vnd.ms-excel").
func isTokenChar(c byte) bool { return charClass[c]&clToken != 0 || c == '.' }

func (l *lexer) end() bool { return l.pos >= len(l.s) }

// peek returns the current octet, 0 at the end (no reader treats NUL as
// anything but an octet that ends a token).
func (l *lexer) peek() byte {
	if l.pos >= len(l.s) {
		return 0
	}
	return l.s[l.pos]
}

// status is more or atEnd, by position.
func (l *lexer) status() int {
	if l.end() {
		return atEnd
	}
	return more
}

// skipCFWS skips white space, line breaks and comments (RFC 5322 §3.2.2).
func (l *lexer) skipCFWS() int {
	for !l.end() {
		switch l.s[l.pos] {
		case ' ', '\t', '\r', '\n':
			l.pos++
		case '(':
			if l.skipComment() == broken {
				return broken
			}
		default:
			return more
		}
	}
	return atEnd
}

// skipComment skips a comment, nested ones included, and keeps its text in
// l.comment (from the start of the last comment seen, even one that never
// closes); a comment that never closes is broken.
func (l *lexer) skipComment() int {
	l.comment = ""
	depth := 1
	l.pos++ // '('
	for start := l.pos; l.pos < len(l.s); l.pos++ {
		switch l.s[l.pos] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.comment += l.s[start:l.pos]
				l.pos++
				return l.status()
			}
		case '\\':
			// quoted-pair: the backslash goes, the octet after it stays.
			l.comment += l.s[start:l.pos]
			start = l.pos + 1
			l.pos++
			if l.pos >= len(l.s) {
				return broken
			}
		}
	}
	return broken
}

// run appends the longest run of octets in class from pos to b, then skips
// the CFWS after it.
func (l *lexer) run(b *strings.Builder, in func(byte) bool) int {
	start := l.pos
	for l.pos < len(l.s) && in(l.s[l.pos]) {
		l.pos++
	}
	b.WriteString(l.s[start:l.pos])
	if l.end() {
		return atEnd
	}
	return l.skipCFWS()
}

// atom reads an atom (RFC 5322 §3.2.3); an empty one is broken.
func (l *lexer) atom(b *strings.Builder) int {
	if l.end() || !isAtext(l.peek()) {
		return broken
	}
	return l.run(b, isAtext)
}

// token reads an RFC 2045 token, possibly empty.
func (l *lexer) token(b *strings.Builder) int { return l.run(b, isTokenChar) }

// dotAtom reads the atoms of a domain joined by dots (RFC 5322 §3.4.1),
// with CFWS allowed around the dots, as RFC 822 did (§4.4 obs-domain),
// but an atom after each dot, as Dovecot reads it: "b . c" is b.c; "b.",
// "b. " and "b..c" are broken. Local parts have their own reader,
// localDotAtom.
func (l *lexer) dotAtom(b *strings.Builder) int {
	if l.end() || !isAtext(l.peek()) {
		return broken
	}
	for {
		if ret := l.run(b, isAtext); ret != more {
			return ret
		}
		if l.peek() != '.' {
			return more
		}
		l.pos++
		b.WriteByte('.')
		if l.skipCFWS() != more || !isAtext(l.peek()) {
			return broken
		}
	}
}

// localDotAtom reads the dot-atom of a local part the way Dovecot's
// envelope parser does: atoms and dots, white space allowed before a dot
// but not after it, dots anywhere ("a..b", "a.b.", as old mailers and
// some mobile carriers send them). It stops before an '@'.
func (l *lexer) localDotAtom(b *strings.Builder) int {
	ret := broken
	for {
		for l.peek() == '.' {
			b.WriteByte('.')
			l.pos++
			if l.end() {
				return atEnd
			}
			ret = more
		}
		if l.peek() == '@' {
			return ret
		}
		if ret = l.atom(b); ret != more || l.peek() != '.' {
			return ret
		}
	}
}

// quoted reads a quoted string (RFC 5322 §3.2.4) at '"' and appends its
// content: quoting backslashes and the line breaks of folding removed, the
// white space kept. One that never closes is broken.
func (l *lexer) quoted(b *strings.Builder) int {
	l.pos++ // '"'
	for start := l.pos; l.pos < len(l.s); l.pos++ {
		switch l.s[l.pos] {
		case '"':
			b.WriteString(l.s[start:l.pos])
			l.pos++
			return l.skipCFWS()
		case '\n':
			seg := l.s[start:l.pos]
			b.WriteString(strings.TrimSuffix(seg, "\r"))
			start = l.pos + 1
		case '\\':
			b.WriteString(l.s[start:l.pos])
			l.pos++
			start = l.pos
			if l.pos >= len(l.s) {
				return broken
			}
		}
	}
	return broken
}

// phrase reads a display name (RFC 5322 §3.2.5, with obs-phrase's dots):
// words joined by one space, whatever white space or comments separated
// them. It may be empty; one starting with a dot is broken.
func (l *lexer) phrase(b *strings.Builder) int {
	if l.end() {
		return atEnd
	}
	if l.peek() == '.' {
		return broken
	}
	for {
		var ret int
		if l.peek() == '"' {
			ret = l.quoted(b)
		} else {
			ret = l.run(b, func(c byte) bool { return isAtext(c) || c == '.' })
		}
		if ret != more {
			return ret
		}
		if c := l.peek(); !isAtext(c) && c != '"' && c != '.' {
			return more
		}
		b.WriteByte(' ')
	}
}

// domain reads the domain after '@': a dot-atom or a domain literal
// (RFC 5322 §3.4.1), the literal kept as written, brackets and quoted
// pairs included; a '[' inside the literal breaks it.
func (l *lexer) domain(b *strings.Builder) int {
	l.pos++ // '@'
	if l.skipCFWS() != more {
		return broken
	}
	if l.peek() != '[' {
		return l.dotAtom(b)
	}
	for start := l.pos; l.pos < len(l.s); l.pos++ {
		switch l.s[l.pos] {
		case '\\':
			l.pos++
			if l.pos >= len(l.s) {
				return broken
			}
		case '[': // not dtext (RFC 5322 §3.4.1)
			if l.pos > start {
				return broken
			}
		case ']':
			l.pos++
			b.WriteString(l.s[start:l.pos])
			return l.skipCFWS()
		}
	}
	return broken
}
