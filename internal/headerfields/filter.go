// Package headerfields selects fields of a raw header block, as the IMAP
// sections BODY[HEADER.FIELDS (...)] and BODY[HEADER.FIELDS.NOT (...)]
// do (RFC 9051 §6.4.5). The frontend filters the headers of encapsulated
// messages with it; the metadata node filters a message's top-level
// header with it before sending, so that a FETCH of a message list page
// moves a few hundred bytes per message rather than the whole header.
// Both must give the same bytes, hence one package.
package headerfields

import (
	"bytes"
	"strings"
)

// Filter appends to dst the fields of the raw header block whose names
// are (not=false) or are not (not=true) in names, in message order with
// their folding, followed by the blank line (RFC 9051 §6.4.5
// HEADER.FIELDS): "the blank line is included in all header fetches,
// except in the case of a message which has no body and no blank line".
// Names compare as strings.EqualFold does. It accepts CRLF and bare LF
// line ends and never fails.
func Filter(dst, raw []byte, names []string, not bool) []byte {
	return Compile(names, not).Filter(dst, raw)
}

// A Set is a field list compiled for filtering many headers with it.
type Set struct {
	names []string
	not   bool
	// ascii: every name is ASCII, so an ASCII field name can only equal
	// a name of its own length (strings.EqualFold folds some non-ASCII
	// letters to ASCII ones of another length: K, U+212A, is k).
	ascii    bool
	lens     uint64 // bit n set: some name has length n (n < 64)
	long     bool   // some name is 64 octets or longer
	fromList bool   // see Listed
}

// Compile returns the Set of Filter(_, _, names, not).
func Compile(names []string, not bool) *Set {
	s := &Set{names: names, not: not, ascii: true, fromList: !not}
	for _, n := range names {
		if s.fromList && !inList(n) {
			s.fromList = false
		}
		if !isASCIIString(n) {
			s.ascii = false
		}
		if len(n) < 64 {
			s.lens |= 1 << len(n)
		} else {
			s.long = true
		}
	}
	return s
}

// Filter is the package's Filter with the Set's names.
func (s *Set) Filter(dst, raw []byte) []byte {
	// One pass over the lines, without building a parsed header: this
	// runs for every message of a FETCH of a message list page.
	out := dst
	keep := false // whether the current field (and its continuations) is kept
	for len(raw) > 0 {
		n := bytes.IndexByte(raw, '\n') + 1
		if n == 0 {
			n = len(raw)
		}
		line := raw[:n]
		raw = raw[n:]
		switch {
		case isBlankLine(line):
			return append(out, line...)
		case line[0] == ' ' || line[0] == '\t':
			// A continuation belongs to the field before it; after a
			// line that is no field, it is dropped with that line.
		default:
			// A line without a colon is a field without a name: it never
			// matches, so HEADER.FIELDS.NOT keeps it, as Dovecot does (it
			// is a header line whose name is not in the list).
			listed := false
			if i := bytes.IndexByte(line, ':'); i > 0 {
				name := bytes.TrimSpace(line[:i])
				listed = len(name) > 0 && s.listed(name)
			}
			keep = listed != s.not
		}
		if keep {
			out = append(out, line...)
			if line[len(line)-1] != '\n' {
				// The last field of a header that ends without a line
				// break.
				out = append(out, "\r\n"...)
			}
		}
	}
	return out // no blank line in the message: none added (RFC 9051 §6.4.5)
}

// listed reports whether name equals one of the names under
// strings.EqualFold.
func (s *Set) listed(name []byte) bool {
	if s.ascii && isASCII(name) {
		// Only names of the same length can match.
		if len(name) < 64 && s.lens&(1<<len(name)) == 0 {
			return false
		}
		for _, n := range s.names {
			if len(n) == len(name) && equalFoldASCII(name, n) {
				return true
			}
		}
		return false
	}
	for _, n := range s.names {
		if strings.EqualFold(string(name), n) {
			return true
		}
	}
	return false
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// equalFoldASCII is strings.EqualFold for a field name, which RFC 5322
// §3.6.8 limits to printable ASCII; other bytes compare exactly (after
// the general fold, for names that break the rule).
func equalFoldASCII(b []byte, s string) bool {
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if c == d {
			continue
		}
		if c >= 0x80 || d >= 0x80 {
			return strings.EqualFold(string(b), s)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

func isBlankLine(line []byte) bool {
	return string(line) == "\r\n" || string(line) == "\n"
}
