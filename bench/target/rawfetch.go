package target

import (
	"bytes"
	"fmt"
)

// MaxFetchItems bounds the data items one Fetch can check.
const MaxFetchItems = 64

var (
	wordOK    = []byte("OK")
	wordBYE   = []byte("BYE")
	wordFETCH = []byte("FETCH")
)

// readFetch reads the responses to the FETCH (or UID FETCH) sent with tag,
// through its tagged completion, and returns how many FETCH responses came.
// Each FETCH response must carry every data item named in want, compared
// case-insensitively with the item names of the response (RFC 9051 §7.5.2:
// "BODY[]", not the "BODY.PEEK[]" asked for); one that does not is an
// error reported at the completion, so the connection stays in step.
// Other untagged responses (EXISTS, EXPUNGE, FLAGS, OK …) are skipped;
// BYE, a continuation request, a foreign tag or a NO/BAD completion end it
// with an error.
func (l *lexer) readFetch(tag []byte, want [][]byte) (int64, error) {
	if len(want) > MaxFetchItems {
		return 0, fmt.Errorf("%w: %d FETCH items to check, at most %d", ErrTarget, len(want), MaxFetchItems)
	}
	full := uint64(1)<<len(want) - 1
	var n int64
	var lacking error
	err := l.readResponses("FETCH", tag, func(h respHead) (bool, error) {
		if !h.hasNum || !bytes.EqualFold(h.word, wordFETCH) {
			return false, nil
		}
		seen, err := l.fetchItems(want)
		if err != nil {
			return true, err
		}
		if seen != full && lacking == nil {
			lacking = fmt.Errorf("%w: FETCH response for message %d lacks %s", ErrMissingItem, h.num, missing(want, seen))
		}
		n++
		return true, nil
	})
	if err == nil {
		err = lacking
	}
	return n, err
}

// readResponses reads the responses to the command (named cmd in errors)
// sent with tag, through its tagged completion. data gets each untagged
// response that is not a status response or BYE, after its head, and
// says whether it read the rest; the others are skipped. A continuation
// request (RFC 9051 §7.5: the command's literals, if any, were all sent by
// now), BYE, a foreign tag or a NO/BAD completion end it with an error.
func (l *lexer) readResponses(cmd string, tag []byte, data func(respHead) (bool, error)) error {
	for {
		h, err := l.head()
		if err != nil {
			return err
		}
		switch {
		case h.kind == respContinue:
			return malformed("continuation request during %s: %q", cmd, h.text)
		case h.kind == respTagged:
			if !bytes.Equal(h.tag, tag) {
				return malformed("completion for tag %q during %s %s", h.tag, cmd, tag)
			}
			if bytes.EqualFold(h.word, wordOK) {
				return nil
			}
			return errStatus(cmd, h)
		case bytes.EqualFold(h.word, wordBYE):
			return errStatus(cmd, h)
		case h.isStatus():
			// Untagged OK/NO/BAD: informational, text already read.
		default:
			read, err := data(h)
			if err != nil {
				return err
			}
			if !read {
				if err := l.skipRest(); err != nil {
					return err
				}
			}
		}
	}
}

// fetchItems reads the msg-att of a FETCH response, "(" name SP value *(SP
// name SP value) ")" CRLF (RFC 9051 §7.5.2), skipping the values, and
// returns the bit set of the wanted items it named.
func (l *lexer) fetchItems(want [][]byte) (uint64, error) {
	if err := l.expect(' ', "after FETCH"); err != nil {
		return 0, err
	}
	if err := l.expect('(', "FETCH data"); err != nil {
		return 0, err
	}
	var seen uint64
	for {
		if err := l.readItemName(); err != nil {
			return seen, err
		}
		if len(l.name) == 0 {
			c, _ := l.peek()
			return seen, malformed("FETCH data item expected, got %q", c)
		}
		for i, w := range want {
			if bytes.EqualFold(l.name, w) {
				seen |= 1 << i
			}
		}
		if err := l.expect(' ', "after a FETCH item name"); err != nil {
			return seen, err
		}
		if err := l.skipValue(); err != nil {
			return seen, err
		}
		c, err := l.readByte()
		if err != nil {
			return seen, err
		}
		switch c {
		case ' ':
			continue
		case ')':
			return seen, l.expectCRLF("after FETCH data")
		}
		return seen, malformed("after a FETCH item value: got %q, want SP or )", c)
	}
}

func missing(want [][]byte, seen uint64) string {
	for i, w := range want {
		if seen&(1<<i) == 0 {
			return string(w)
		}
	}
	return ""
}
