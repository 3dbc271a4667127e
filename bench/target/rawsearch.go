package target

import "bytes"

var (
	wordSEARCH  = []byte("SEARCH")
	wordESEARCH = []byte("ESEARCH")
	wordUID     = []byte("UID")
	wordALL     = []byte("ALL")
	wordMODSEQ  = []byte("MODSEQ")
	wordTAG     = []byte("TAG")
)

// maxNZNumber is the largest nz-number (RFC 9051 §9: number is 32 bits).
const maxNZNumber = 1<<32 - 1

// readSearch reads the responses to the SEARCH (or UID SEARCH) sent with
// tag, through its tagged completion, and returns how many message numbers
// they carried:
//
//   - "* SEARCH" *(SP nz-number) (RFC 3501 §7.2.5; RFC 9051 §9
//     obsolete-search-response), optionally ended by CONDSTORE's
//     SP "(MODSEQ " mod-sequence-value ")" (RFC 7162 §3.1.6); an empty
//     result is a bare "* SEARCH". Several SEARCH responses add up.
//   - "* ESEARCH" [SP "(TAG " tag-string ")"] [SP "UID"]
//     *(SP search-return-data) (RFC 4466 §2.6.2, RFC 4731 §3.1,
//     RFC 9051 §7.3.4), which a server may send instead: the
//     numbers of its ALL sequence-set are counted, ranges by their size;
//     MIN, MAX, COUNT, MODSEQ and unknown return data are skipped as
//     values (lexed, not interpreted).
//
// Numbers are counted, never kept, so the reader allocates nothing. So,
// unlike go-imap, which gathers them into a set, it would count a number
// a server repeated twice; no server does, and the workloads check every
// count against the corpus. Every number must be an nz-number, else the
// response is malformed. Other untagged responses are skipped; BYE, a
// continuation request, a foreign tag or a NO/BAD completion end it with
// an error, as in readFetch.
func (l *lexer) readSearch(tag []byte) (int64, error) {
	var n int64
	err := l.readResponses("SEARCH", tag, func(h respHead) (bool, error) {
		var k int64
		var err error
		switch {
		case bytes.EqualFold(h.word, wordSEARCH):
			if h.hasNum {
				return true, malformed("SEARCH response with a message number %d", h.num)
			}
			k, err = l.searchNumbers()
		case bytes.EqualFold(h.word, wordESEARCH):
			if h.hasNum {
				return true, malformed("ESEARCH response with a message number %d", h.num)
			}
			k, err = l.esearchData(tag)
		default:
			return false, nil
		}
		n += k
		return true, err
	})
	return n, err
}

// searchNumbers reads the rest of a SEARCH response, *(SP nz-number)
// [SP "(MODSEQ" SP number ")"] CRLF, and returns how many numbers it held.
func (l *lexer) searchNumbers() (int64, error) {
	var n int64
	for {
		k, i := scanNumbers(l.buf[l.r:l.w])
		n += k
		l.r += i
		// One token the slow way: across a buffer boundary, the end of
		// the line, MODSEQ, or an error to report.
		c, err := l.readByte()
		if err != nil {
			return n, err
		}
		switch c {
		case '\r':
			return n, l.expect('\n', "end of SEARCH response")
		case ' ':
		default:
			return n, malformed("in a SEARCH response: got %q, want SP or CRLF", c)
		}
		c, err = l.peek()
		if err != nil {
			return n, err
		}
		if c == '(' {
			// RFC 7162 §3.1.6: the highest mod-sequence of the result
			// ends the response, after at least one number.
			if n == 0 {
				return n, malformed("MODSEQ in a SEARCH response without numbers")
			}
			if err := l.searchModSeq(); err != nil {
				return n, err
			}
			return n, l.expectCRLF("after the MODSEQ of a SEARCH response")
		}
		if _, err := l.nzNumber("SEARCH"); err != nil {
			return n, err
		}
		n++
	}
}

// scanNumbers is searchNumbers' fast path: it counts the well-formed
// SP nz-number tokens at the start of b that end inside it and returns
// their count and length. It stops before anything else — a token that
// may go on past b, the end of the line, a malformed number — for the
// byte-wise path to read or report.
func scanNumbers(b []byte) (int64, int) {
	var n int64
	i := 0
	for i+1 < len(b) && b[i] == ' ' && b[i+1] >= '1' && b[i+1] <= '9' {
		j := i + 2
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == len(b) {
			break
		}
		// nz-number is 32 bits: at most 4294967295, ten digits.
		if d := j - i - 1; d > 10 || d == 10 && string(b[i+1:j]) > "4294967295" {
			break
		}
		n++
		i = j
	}
	return n, i
}

// searchModSeq reads "(MODSEQ" SP mod-sequence-value ")" with the cursor
// on its "(".
func (l *lexer) searchModSeq() error {
	l.r++ // "("
	var err error
	if l.word, err = l.readAtom(l.word[:0]); err != nil {
		return err
	}
	if !bytes.EqualFold(l.word, wordMODSEQ) {
		return malformed("SEARCH response: (%s …), want (MODSEQ n)", l.word)
	}
	if err := l.expect(' ', "after MODSEQ"); err != nil {
		return err
	}
	if err := l.modSeq(); err != nil {
		return err
	}
	return l.expect(')', "after the MODSEQ of a SEARCH response")
}

// esearchData reads the rest of an ESEARCH response (RFC 4731 §3.1,
// RFC 4466 §2.6.2) and returns the number of messages in its ALL set. A
// correlator naming another tag than the command's is malformed: only one
// command is ever in flight on a RawConn.
func (l *lexer) esearchData(tag []byte) (int64, error) {
	var n int64
	first := true
	for {
		c, err := l.readByte()
		if err != nil {
			return n, err
		}
		switch c {
		case '\r':
			return n, l.expect('\n', "end of ESEARCH response")
		case ' ':
		default:
			return n, malformed("in an ESEARCH response: got %q, want SP or CRLF", c)
		}
		c, err = l.peek()
		if err != nil {
			return n, err
		}
		if c == '(' {
			if !first {
				return n, malformed("ESEARCH correlator after the return data")
			}
			first = false
			if err := l.esearchCorrelator(tag); err != nil {
				return n, err
			}
			continue
		}
		first = false
		if l.word, err = l.readAtom(l.word[:0]); err != nil {
			return n, err
		}
		if len(l.word) == 0 {
			return n, malformed("ESEARCH return data name expected, got %q", c)
		}
		if bytes.EqualFold(l.word, wordUID) {
			// [SP "UID"]: a marker without a value.
			continue
		}
		isAll := bytes.EqualFold(l.word, wordALL)
		if err := l.expect(' ', "after an ESEARCH return data name"); err != nil {
			return n, err
		}
		if isAll {
			k, err := l.countSet()
			n += k
			if err != nil {
				return n, err
			}
			continue
		}
		// MIN, MAX, COUNT, MODSEQ and extensions (tagged-ext-val): a
		// number, a set or a parenthesised list, none of them counted.
		if err := l.skipValue(); err != nil {
			return n, err
		}
	}
}

// esearchCorrelator reads "(TAG" SP tag-string ")" with the cursor on the
// "(" and checks that the tag is the command's.
func (l *lexer) esearchCorrelator(tag []byte) error {
	l.r++ // "("
	var err error
	if l.word, err = l.readAtom(l.word[:0]); err != nil {
		return err
	}
	if !bytes.EqualFold(l.word, wordTAG) {
		return malformed("ESEARCH correlator (%s …), want (TAG …)", l.word)
	}
	if err := l.expect(' ', "after TAG"); err != nil {
		return err
	}
	// tag-string = string: quoted or literal (RFC 4466 §2.6.2).
	c, err := l.peek()
	if err != nil {
		return err
	}
	l.name = l.name[:0]
	switch c {
	case '"':
		err = l.quoted(&l.name)
	case '{':
		err = l.skipLiteral(&l.name)
	default:
		return malformed("ESEARCH correlator tag is not a string: %q", c)
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(l.name, tag) {
		return malformed("ESEARCH for tag %q during SEARCH %s", l.name, tag)
	}
	return l.expect(')', "after the ESEARCH correlator")
}

// countSet reads a sequence-set of known numbers (RFC 9051 §9; "*" has no
// place in a result) and returns how many numbers it covers: a range a:b
// counts |b-a|+1, in either order.
func (l *lexer) countSet() (int64, error) {
	var n int64
	for {
		a, err := l.nzNumber("ESEARCH ALL")
		if err != nil {
			return n, err
		}
		c, err := l.peek()
		if err != nil {
			return n, err
		}
		if c == ':' {
			l.r++
			b, err := l.nzNumber("ESEARCH ALL range")
			if err != nil {
				return n, err
			}
			n += int64(max(a, b)-min(a, b)) + 1
			if c, err = l.peek(); err != nil {
				return n, err
			}
		} else {
			n++
		}
		if c != ',' {
			return n, nil
		}
		l.r++
	}
}

// nzNumber reads an nz-number (RFC 9051 §9: digit-nz *DIGIT, at most
// 4294967295) at the cursor. Leading zeros, zero itself and overflow are
// malformed; the number ends at the first non-digit, which the caller
// checks.
func (l *lexer) nzNumber(where string) (uint32, error) {
	var v uint64
	digits := 0
	for {
		if l.r == l.w {
			if err := l.fill(); err != nil {
				return 0, err
			}
		}
		c := l.buf[l.r]
		if c < '0' || c > '9' {
			if digits == 0 {
				return 0, malformed("%s: number expected, got %q", where, c)
			}
			return uint32(v), nil
		}
		if digits == 0 && c == '0' {
			return 0, malformed("%s: zero or a leading zero, want an nz-number", where)
		}
		v = v*10 + uint64(c-'0')
		if v > maxNZNumber {
			return 0, malformed("%s: number over %d", where, uint64(maxNZNumber))
		}
		digits++
		l.r++
	}
}

// modSeq reads a mod-sequence-value (RFC 7162 §7: 1*DIGIT, a positive
// 63-bit number).
func (l *lexer) modSeq() error {
	var err error
	if l.word, err = l.readAtom(l.word[:0]); err != nil {
		return err
	}
	if v, ok := parseNumber(l.word); !ok || v == 0 {
		return malformed("MODSEQ %q is not a mod-sequence-value", l.word)
	}
	return nil
}
