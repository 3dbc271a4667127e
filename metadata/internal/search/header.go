package search

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"

	"github.com/emersion/go-message/charset"

	"github.com/postbus/postbus/metadata/base"
)

// wordDecoder decodes RFC 2047 encoded-words with go-message's charset
// tables (far more charsets than the standard library's UTF-8/ISO-8859-1/
// US-ASCII). It holds no state, so sharing it is safe.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// field is one header field of a stored header block.
type field struct {
	name    []byte // as written, without trailing white space
	raw     []byte // value after the colon, folding included
	decoded []byte // unfolded, trimmed, RFC 2047 decoded; valid when done
	done    bool
}

// header is a parsed header block. It is built per Match and not shared.
type header struct {
	fields []field
}

// parseHeader splits a raw header block into fields (RFC 5322 §2.2). It is
// lenient, as stored mail is whatever was delivered: LF and CRLF line ends
// are both accepted, lines that are neither a field nor a continuation are
// skipped, and parsing stops at the first empty line or the end of input.
// Field values are sub-slices of b (continuation lines directly follow
// their field, so a folded value stays contiguous).
func parseHeader(b []byte) *header {
	h := &header{}
	h.parse(b)
	return h
}

// parse is parseHeader into h, reusing h's field slice.
func (h *header) parse(b []byte) {
	h.fields = h.fields[:0]
	cur := -1     // index of the field continuation lines extend
	valStart := 0 // offset in b where the current field's value starts
	for pos := 0; pos < len(b); {
		end := len(b) // end of this line, without its line break
		next := len(b)
		if i := bytes.IndexByte(b[pos:], '\n'); i >= 0 {
			end, next = pos+i, pos+i+1
		}
		lineEnd := end
		if lineEnd > pos && b[lineEnd-1] == '\r' {
			lineEnd--
		}
		line := b[pos:lineEnd]
		switch {
		case len(line) == 0:
			return // the blank line that ends the header
		case line[0] == ' ' || line[0] == '\t':
			if cur >= 0 {
				h.fields[cur].raw = b[valStart:lineEnd]
			}
		default:
			cur = -1
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 {
				break
			}
			name := bytes.TrimRight(line[:colon], " \t")
			if len(name) == 0 {
				break
			}
			valStart = pos + colon + 1
			h.fields = append(h.fields, field{name: name, raw: b[valStart:lineEnd]})
			cur = len(h.fields) - 1
		}
		pos = next
	}
}

// value returns field i unfolded (RFC 5322 §2.2.3), trimmed and with
// RFC 2047 encoded-words decoded. A value that fails to decode (unknown
// charset, malformed word) is used as written.
func (h *header) value(i int) []byte {
	f := &h.fields[i]
	if f.done {
		return f.decoded
	}
	f.done = true
	v := f.raw
	if bytes.IndexByte(v, '\n') >= 0 || bytes.IndexByte(v, '\r') >= 0 {
		v = bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, v)
	}
	v = bytes.Trim(v, " \t")
	if bytes.Contains(v, []byte("=?")) {
		v = decodeWords(v)
	}
	f.decoded = v
	return v
}

// encodedWord matches an RFC 2047 §2 encoded-word.
var encodedWord = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)

// decodeWords decodes the encoded-words of v. DecodeHeader gives up on the
// whole value for one word it cannot convert (an unknown charset); then
// the others are decoded one by one and that one kept as written, which
// RFC 2047 §6.3 allows. (The Dovecot differential in frontend found
// SUBJECT missing such messages.)
func decodeWords(v []byte) []byte {
	if d, err := wordDecoder.DecodeHeader(string(v)); err == nil {
		return []byte(d)
	}
	var out []byte
	last, prevDecoded := 0, false
	for _, m := range encodedWord.FindAllIndex(v, -1) {
		between, word := v[last:m[0]], v[m[0]:m[1]]
		d, err := wordDecoder.Decode(string(word))
		// RFC 2047 §6.2: white space between two encoded-words is not
		// part of the text.
		if !(prevDecoded && err == nil && len(bytes.Trim(between, " \t")) == 0) {
			out = append(out, between...)
		}
		if err != nil {
			out = append(out, word...)
		} else {
			out = append(out, d...)
		}
		last, prevDecoded = m[1], err == nil
	}
	return append(out, v[last:]...)
}

// unquote removes the quoting of RFC 5322 quoted-strings and quoted-pairs
// from an address list, so that `"Doe, John" <j@x>` reads `Doe, John <j@x>`.
func unquote(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			continue
		case '\\':
			if i+1 < len(v) {
				i++
			}
		}
		out = append(out, v[i])
	}
	return out
}

// headerNode matches HEADER, FROM, TO, CC, BCC and SUBJECT (RFC 9051
// §6.4.4): any occurrence of the field whose decoded value contains the
// needle; an empty needle matches any message that has the field.
type headerNode struct {
	field   string // lower case
	needle  []byte // folded
	address bool   // address-list field: also match with quoting removed
	code    byte   // digestCode of field; 0: not in a digest
}

func (n *headerNode) cost() cost {
	if n.code != 0 {
		return costDigest
	}
	return costHeader
}

func (n *headerNode) eval(e *evaluation) (bool, error) {
	if n.code != 0 && e.msg.Digest != nil {
		if match, ok := digestMatch(e.msg.Digest, n.code, n.needle); ok {
			return match, nil
		}
	}
	if e.msg.Meta == nil {
		return false, fmt.Errorf("search: uid %d: %s needs a digest or the header: %w", e.msg.UID, n.field, base.ErrInvalidArgument)
	}
	h := e.header()
	for i := range h.fields {
		if !equalFoldASCII(h.fields[i].name, n.field) {
			continue
		}
		if len(n.needle) == 0 {
			return true, nil
		}
		v := h.value(i)
		var ok bool
		if ok, e.scratch = containsFold(e.scratch, v, n.needle); ok {
			return true, nil
		}
		if n.address && (bytes.IndexByte(v, '"') >= 0 || bytes.IndexByte(v, '\\') >= 0) {
			if ok, e.scratch = containsFold(e.scratch, unquote(v), n.needle); ok {
				return true, nil
			}
		}
	}
	return false, nil
}

// headerTextContains reports whether any field of h, read as "Name: value"
// with the value decoded, contains needle (already folded). This is how the
// header half of TEXT and the headers of encapsulated messages are
// searched. scratch is reused and returned as containsFold does.
func headerTextContains(scratch []byte, h *header, needle []byte) (bool, []byte) {
	for i := range h.fields {
		scratch, _ = appendFold(scratch[:0], h.fields[i].name, true)
		scratch = append(scratch, ':', ' ')
		scratch, _ = appendFold(scratch, h.value(i), true)
		if bytes.Contains(scratch, needle) {
			return true, scratch
		}
	}
	return false, scratch
}

// equalFoldASCII compares a field name with a lower-case ASCII name.
func equalFoldASCII(name []byte, lower string) bool {
	if len(name) != len(lower) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
