package target

import (
	"bytes"
	"fmt"
	"io"
)

// Errors of the raw client, each wrapping ErrTarget. After ErrRefused or
// ErrMissingItem the connection is still in step with the server; after
// any other error it is not, and RawConn refuses further commands.
var (
	// ErrMalformed: a response breaks the IMAP grammar (RFC 9051 §9).
	ErrMalformed = fmt.Errorf("%w: malformed response", ErrTarget)
	// ErrRefused: the server completed the command with NO or BAD.
	ErrRefused = fmt.Errorf("%w: refused", ErrTarget)
	// ErrBye: the server sent BYE, closing the connection (RFC 9051 §7.1.5).
	ErrBye = fmt.Errorf("%w: BYE", ErrTarget)
	// ErrMissingItem: a FETCH response lacked a data item asked for.
	ErrMissingItem = fmt.Errorf("%w: FETCH item missing", ErrTarget)
)

// Bounds on the parts of a response the lexer keeps. Anything longer is
// malformed (tags, words, item names) or cut (status text, which only ends
// up in error messages). Literal and quoted string contents are skipped,
// never kept, so they have no bound but the command's deadline.
const (
	lexBufSize  = 64 << 10
	maxWordLen  = 1024 // tags, response words, FETCH item names
	maxTextKept = 512  // resp-text kept for error messages
	maxNumber64 = 1<<63 - 1
)

// respKind is how a server response starts (RFC 9051 §2.2.2).
type respKind int

const (
	respUntagged respKind = iota // "*"
	respTagged                   // a command's tag
	respContinue                 // "+": a continuation request
)

// respHead is the start of one response, as read by lexer.head. Its slices
// alias the lexer's scratch buffers: valid until the next call.
type respHead struct {
	kind respKind
	tag  []byte // respTagged only
	// num is the leading number of "* 12 FETCH" / "* 3 EXPUNGE" (hasNum).
	num    uint64
	hasNum bool
	// word is the response name (FETCH, EXISTS, OK, BYE, CAPABILITY…) or,
	// for a tagged response, its status (OK, NO, BAD).
	word []byte
	// text is the resp-text of status responses and continuation
	// requests (cut at maxTextKept); the lexer then stands after the
	// CRLF. For other responses the lexer stands after the word, and the
	// caller reads the data or calls skipRest.
	text []byte
}

// isStatus reports whether the head is a status response whose rest is
// resp-text (RFC 9051 §7.1).
func (h *respHead) isStatus() bool {
	return h.kind != respUntagged || isStatusWord(h.word)
}

func isStatusWord(w []byte) bool {
	for _, s := range statusWords {
		if bytes.EqualFold(w, s) {
			return true
		}
	}
	return false
}

var statusWords = [][]byte{[]byte("OK"), []byte("NO"), []byte("BAD"), []byte("BYE"), []byte("PREAUTH")}

// lexer reads IMAP server responses from a stream through one fixed
// buffer. It understands exactly what it must to find where each response
// ends (RFC 9051 §4, §9): quoted strings with their escapes, literals
// ({n}, {n+}, ~{n}) whose n octets it skips without looking at them,
// parenthesised lists and bracketed sections. It allocates nothing per
// response once its scratch buffers have grown.
type lexer struct {
	rd   io.Reader
	buf  []byte
	r, w int // unread bytes are buf[r:w]
	tag  []byte
	word []byte
	text []byte
	name []byte // the FETCH item name being read
}

func newLexer(rd io.Reader) *lexer {
	return &lexer{rd: rd, buf: make([]byte, lexBufSize),
		tag: make([]byte, 0, 16), word: make([]byte, 0, 16), text: make([]byte, 0, maxTextKept), name: make([]byte, 0, 64)}
}

// reset makes the lexer read from rd, which must be the same stream seen
// through a new layer (STARTTLS): unread bytes then would be plaintext
// injected before the handshake, so the caller checks buffered first.
func (l *lexer) reset(rd io.Reader) { l.rd, l.r, l.w = rd, 0, 0 }

func (l *lexer) buffered() int { return l.w - l.r }

// fill reads more bytes, keeping the unread ones. It is only called with
// room in the buffer (every caller has consumed all but at most one byte).
func (l *lexer) fill() error {
	if l.r > 0 {
		l.w = copy(l.buf, l.buf[l.r:l.w])
		l.r = 0
	}
	if l.w == len(l.buf) {
		return fmt.Errorf("%w: lexer buffer full", ErrTarget)
	}
	for range 100 {
		n, err := l.rd.Read(l.buf[l.w:])
		l.w += n
		if n > 0 {
			return nil
		}
		if err == io.EOF {
			return fmt.Errorf("%w: connection closed mid-response", ErrTarget)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrTarget, err)
		}
	}
	return fmt.Errorf("%w: %w", ErrTarget, io.ErrNoProgress)
}

// peek and readByte are small enough to be inlined: they run for every
// byte of a response line, and the call would cost more than the work.
func (l *lexer) peek() (byte, error) {
	if l.r < l.w {
		return l.buf[l.r], nil
	}
	return l.peekFill()
}

// peekFill is kept out of line so that its callers stay inlinable.
//
//go:noinline
func (l *lexer) peekFill() (byte, error) {
	if err := l.fill(); err != nil {
		return 0, err
	}
	return l.buf[l.r], nil
}

func (l *lexer) readByte() (byte, error) {
	if l.r < l.w {
		c := l.buf[l.r]
		l.r++
		return c, nil
	}
	c, err := l.peekFill()
	if err == nil {
		l.r++
	}
	return c, err
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func (l *lexer) expect(want byte, where string) error {
	c, err := l.readByte()
	if err != nil {
		return err
	}
	if c != want {
		return malformed("%s: got %q, want %q", where, c, want)
	}
	return nil
}

// expectCRLF reads the end of a response line.
func (l *lexer) expectCRLF(where string) error {
	if err := l.expect('\r', where); err != nil {
		return err
	}
	return l.expect('\n', where)
}

// head reads the start of the next response (RFC 9051 §2.2.2, §7):
// "+ text", "* [n] WORD", or "tag STATUS text". For status responses and
// continuation requests it also reads the text and the CRLF.
func (l *lexer) head() (respHead, error) {
	c, err := l.readByte()
	if err != nil {
		return respHead{}, err
	}
	switch c {
	case '+':
		// continue-req = "+" SP (resp-text / base64) CRLF; servers send
		// a bare "+" CRLF too.
		err := l.readText()
		return respHead{kind: respContinue, text: l.text}, err
	case '*':
		if err := l.expect(' ', "after *"); err != nil {
			return respHead{}, err
		}
		h := respHead{kind: respUntagged}
		if l.word, err = l.readAtom(l.word[:0]); err != nil {
			return h, err
		}
		if n, ok := parseNumber(l.word); ok {
			h.num, h.hasNum = n, true
			if err := l.expect(' ', "after the message number"); err != nil {
				return h, err
			}
			if l.word, err = l.readAtom(l.word[:0]); err != nil {
				return h, err
			}
		}
		h.word = l.word
		if len(h.word) == 0 {
			return h, malformed("untagged response without a name")
		}
		if !h.hasNum && isStatusWord(h.word) {
			err = l.readText()
			h.text = l.text
		}
		return h, err
	}
	l.r-- // the byte read is the tag's first
	h := respHead{kind: respTagged}
	if l.tag, err = l.readAtom(l.tag[:0]); err != nil {
		return h, err
	}
	if len(l.tag) == 0 {
		return h, malformed("response starts with %q", c)
	}
	if err := l.expect(' ', "after the tag"); err != nil {
		return h, err
	}
	if l.word, err = l.readAtom(l.word[:0]); err != nil {
		return h, err
	}
	h.tag, h.word = l.tag, l.word
	err = l.readText()
	h.text = l.text
	return h, err
}

// isAtomEnd reports the bytes that end an atom, a tag or a number in a
// response (atom-specials of RFC 9051 §9 that may follow one).
func isAtomEnd(c byte) bool {
	switch c {
	case ' ', '(', ')', '{', '"', '\r', '\n', ']':
		return true
	}
	return false
}

// readAtom appends the atom at the cursor (possibly empty) to dst.
func (l *lexer) readAtom(dst []byte) ([]byte, error) {
	for {
		if l.r == l.w { // peek, without a call per byte
			if _, err := l.peekFill(); err != nil {
				return dst, err
			}
		}
		c := l.buf[l.r]
		if isAtomEnd(c) {
			return dst, nil
		}
		if c < 0x20 || c == 0x7f {
			return dst, malformed("control character %#x in an atom", c)
		}
		if len(dst) >= maxWordLen {
			return dst, malformed("atom longer than %d bytes", maxWordLen)
		}
		dst = append(dst, c)
		l.r++
	}
}

// readText reads an optional SP and resp-text up to and including CRLF,
// keeping the first maxTextKept bytes in l.text. resp-text is plain text:
// quotes and braces in it mean nothing (RFC 9051 §9 "text").
func (l *lexer) readText() error {
	l.text = l.text[:0]
	skipSP := true
	for {
		if l.r == l.w {
			if err := l.fill(); err != nil {
				return err
			}
		}
		if skipSP {
			skipSP = false
			if l.buf[l.r] == ' ' {
				l.r++
				continue
			}
		}
		seg := l.buf[l.r:l.w]
		i := bytes.IndexAny(seg, "\r\n")
		if i < 0 {
			l.keepText(seg)
			l.r = l.w
			continue
		}
		l.keepText(seg[:i])
		l.r += i
		return l.expectCRLF("end of response text")
	}
}

func (l *lexer) keepText(b []byte) {
	if room := maxTextKept - len(l.text); room > 0 {
		l.text = append(l.text, b[:min(room, len(b))]...)
	}
}

// parseNumber parses a non-empty decimal number (RFC 9051 §9, number64).
func parseNumber(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n <= maxNumber64
}

// errStatus formats a tagged NO or BAD, or an untagged BYE, as an error.
func errStatus(cmd string, h respHead) error {
	sentinel := ErrRefused
	if h.kind == respUntagged {
		sentinel = ErrBye
	}
	return fmt.Errorf("%w: %s: %s %s", sentinel, cmd, h.word, h.text)
}
