package target

// The lexer's skipping of response data: strings, literals, lists and the
// item names of FETCH responses (RFC 9051 §4, §7.5.2, §9).

// skipRest skips the rest of a response's data through its CRLF. Only
// quoted strings and literals can hide a CRLF, so nothing else needs
// looking at (parentheses need no balancing to find the end).
func (l *lexer) skipRest() error {
	for {
		if l.r == l.w {
			if err := l.fill(); err != nil {
				return err
			}
		}
		switch l.buf[l.r] {
		case '"':
			if err := l.skipQuoted(); err != nil {
				return err
			}
		case '{':
			if err := l.skipLiteral(nil); err != nil {
				return err
			}
		case '\r', '\n':
			return l.expectCRLF("end of response")
		default:
			l.r++
		}
	}
}

// skipQuoted skips a quoted string with the cursor on its DQUOTE.
func (l *lexer) skipQuoted() error { return l.quoted(nil) }

// quoted reads a quoted string (RFC 9051 §4.3, §9: "\" escapes DQUOTE and
// "\"; CR and LF may not appear) with the cursor on its DQUOTE. If keep
// is not nil the unescaped content is appended to *keep, up to maxWordLen.
func (l *lexer) quoted(keep *[]byte) error {
	l.r++ // DQUOTE
	for {
		if l.r == l.w {
			if err := l.fill(); err != nil {
				return err
			}
		}
		i := l.r
		for i < l.w {
			if c := l.buf[i]; c == '"' || c == '\\' || c == '\r' || c == '\n' {
				break
			}
			i++
		}
		if keep != nil {
			if len(*keep)+i-l.r > maxWordLen {
				return malformed("quoted string longer than %d bytes inside an item name", maxWordLen)
			}
			*keep = append(*keep, l.buf[l.r:i]...)
		}
		l.r = i
		if i == l.w {
			continue
		}
		switch l.buf[i] {
		case '"':
			l.r++
			return nil
		case '\\':
			l.r++
			// Only \" and \\ are valid escapes; any other escaped byte is
			// skipped too, since it cannot end the string either. A
			// benchmark client should not fail on a quirk it can read.
			e, err := l.readByte()
			if err != nil {
				return err
			}
			if e == '\r' || e == '\n' {
				return malformed("CR or LF escaped inside a quoted string")
			}
			if keep != nil {
				*keep = append(*keep, e)
			}
		default:
			return malformed("CR or LF inside a quoted string")
		}
	}
}

// skipLiteral skips a literal or literal8 (RFC 9051 §4.3, §9: "{" number64
// ["+"] "}" CRLF and then exactly that many octets, or "~{" … ) with the
// cursor on its "{" or "~". Its octets are skipped unread — they may hold
// anything, CRLF and parentheses included. If keep is not nil the octets
// are appended to *keep instead, up to maxWordLen.
func (l *lexer) skipLiteral(keep *[]byte) error {
	c, _ := l.readByte()
	if c == '~' {
		if err := l.expect('{', "literal8"); err != nil {
			return err
		}
	}
	var n uint64
	digits := 0
	for {
		c, err := l.readByte()
		if err != nil {
			return err
		}
		if c >= '0' && c <= '9' {
			if n > (maxNumber64-uint64(c-'0'))/10 {
				return malformed("literal length overflows number64")
			}
			n = n*10 + uint64(c-'0')
			digits++
			continue
		}
		if digits == 0 {
			return malformed("literal without a length")
		}
		if c == '+' {
			c, err = l.readByte()
			if err != nil {
				return err
			}
		}
		if c != '}' {
			return malformed("literal length ends with %q", c)
		}
		break
	}
	if err := l.expectCRLF("after a literal's length"); err != nil {
		return err
	}
	if keep != nil {
		if n > maxWordLen || len(*keep)+int(n) > maxWordLen {
			return malformed("literal of %d bytes inside an item name", n)
		}
		for n > 0 {
			if l.r == l.w {
				if err := l.fill(); err != nil {
					return err
				}
			}
			k := min(uint64(l.w-l.r), n)
			*keep = append(*keep, l.buf[l.r:l.r+int(k)]...)
			l.r += int(k)
			n -= k
		}
		return nil
	}
	return l.discard(n)
}

// discard skips n bytes: those buffered, then whole buffer reads.
func (l *lexer) discard(n uint64) error {
	for {
		if avail := uint64(l.w - l.r); n <= avail {
			l.r += int(n)
			return nil
		}
		n -= uint64(l.w - l.r)
		l.r = l.w
		if err := l.fill(); err != nil {
			return err
		}
	}
}

// skipValue skips one value of a FETCH data item (RFC 9051 §7.5.2,
// msg-att): a number, atom or NIL, a quoted string, a literal, or a
// parenthesised list of any of these (ENVELOPE, BODYSTRUCTURE, FLAGS).
func (l *lexer) skipValue() error {
	c, err := l.peek()
	if err != nil {
		return err
	}
	switch c {
	case '(':
		return l.skipList()
	case '"':
		return l.skipQuoted()
	case '{':
		return l.skipLiteral(nil)
	case '~':
		if l.w-l.r < 2 {
			if err := l.fill(); err != nil {
				return err
			}
		}
		if l.w-l.r >= 2 && l.buf[l.r+1] == '{' {
			return l.skipLiteral(nil)
		}
	}
	start := l.r
	n, err := l.skipAtom()
	if err != nil {
		return err
	}
	if n == 0 {
		return malformed("FETCH item without a value (at %q)", l.buf[start:min(start+1, l.w)])
	}
	return nil
}

// skipAtom skips an atom or number and returns its length.
func (l *lexer) skipAtom() (int, error) {
	n := 0
	for {
		if l.r == l.w {
			if err := l.fill(); err != nil {
				return n, err
			}
		}
		c := l.buf[l.r]
		if isAtomEnd(c) {
			return n, nil
		}
		if c < 0x20 || c == 0x7f {
			return n, malformed("control character %#x in an atom", c)
		}
		l.r++
		n++
	}
}

// skipList skips a parenthesised list, nested lists and all, with the
// cursor on its "(". Inside, only strings need care: a CR or LF outside
// them means the list was never closed.
func (l *lexer) skipList() error {
	depth := 0
	for {
		if l.r == l.w {
			if err := l.fill(); err != nil {
				return err
			}
		}
		i := l.r
	scan:
		for i < l.w {
			switch l.buf[i] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					l.r = i + 1
					return nil
				}
			case '"', '{':
				break scan
			case '\r', '\n':
				return malformed("CRLF inside an unclosed list")
			}
			i++
		}
		l.r = i
		if i == l.w {
			continue
		}
		var err error
		if l.buf[i] == '"' {
			err = l.skipQuoted()
		} else {
			err = l.skipLiteral(nil)
		}
		if err != nil {
			return err
		}
	}
}

// readItemName reads a FETCH data item name into l.name (RFC 9051 §7.5.2):
// an atom such as ENVELOPE or RFC822.SIZE, or one with a section and an
// origin, BODY[HEADER.FIELDS (From To)]<0>. Inside the brackets quoted
// strings and literals stand for their content, so BODY[HEADER.FIELDS
// ("From")] reads as BODY[HEADER.FIELDS (From)].
func (l *lexer) readItemName() error {
	l.name = l.name[:0]
	depth := 0
	for {
		if l.r == l.w { // peek, without a call per byte
			if _, err := l.peekFill(); err != nil {
				return err
			}
		}
		c := l.buf[l.r]
		if len(l.name) >= maxWordLen {
			return malformed("FETCH item name longer than %d bytes", maxWordLen)
		}
		switch {
		case c == '[':
			depth++
		case c == ']':
			if depth == 0 {
				return malformed("unbalanced ] in a FETCH item name")
			}
			depth--
		case depth > 0 && c == '"':
			if err := l.quoted(&l.name); err != nil {
				return err
			}
			continue
		case depth > 0 && c == '{':
			if err := l.skipLiteral(&l.name); err != nil {
				return err
			}
			continue
		case c == '\r' || c == '\n':
			if depth > 0 {
				return malformed("CRLF inside a section")
			}
			return nil
		case depth == 0 && isAtomEnd(c):
			return nil
		case c < 0x20 || c == 0x7f:
			return malformed("control character %#x in a FETCH item name", c)
		}
		l.name = append(l.name, c)
		l.r++
	}
}
