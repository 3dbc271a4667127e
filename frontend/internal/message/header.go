package message

import (
	"bytes"
	"strings"

	"github.com/postbus/postbus/internal/headerfields"
)

// field is one header field as written: raw holds the whole field with its
// folded continuation lines and line terminators.
type field struct {
	name  string // as written, surrounding white space removed
	raw   []byte
	value []byte // raw text after the colon, folding kept
}

// header is a parsed header block. A line that is neither a field nor a
// continuation (no colon) becomes a field without a name: no lookup by
// name finds it, so it never matches HEADER.FIELDS, but HEADER.FIELDS.NOT
// keeps it, as Dovecot does (it is a header line whose name is not in the
// list, RFC 9051 §6.4.5).
type header struct {
	fields []field
	end    []byte // the blank line ending the block, nil if none
}

// parseHeader splits a raw header block into fields (RFC 5322 §2.2). It
// accepts CRLF and bare LF line ends and never fails.
func parseHeader(raw []byte) header {
	var h header
	cur := -1 // index of the field continuation lines attach to
	for len(raw) > 0 {
		n := bytes.IndexByte(raw, '\n') + 1
		if n == 0 {
			n = len(raw)
		}
		line := raw[:n]
		raw = raw[n:]
		switch {
		case isBlankLine(line):
			h.end = line
			return h
		case line[0] == ' ' || line[0] == '\t':
			if cur >= 0 {
				f := &h.fields[cur]
				f.raw = f.raw[:len(f.raw)+len(line)]
				f.value = f.value[:len(f.value)+len(line)]
			}
		default:
			i := bytes.IndexByte(line, ':')
			f := field{raw: line, value: line[i+1:]}
			if i > 0 {
				f.name = string(bytes.TrimSpace(line[:i]))
			}
			h.fields = append(h.fields, f)
			cur = len(h.fields) - 1
		}
	}
	return h
}

func isBlankLine(line []byte) bool {
	return string(line) == "\r\n" || string(line) == "\n"
}

// get returns the value of the first field called name, unfolded.
func (h *header) get(name string) (string, bool) {
	for i := range h.fields {
		if h.fields[i].name != "" && strings.EqualFold(h.fields[i].name, name) {
			return unfold(h.fields[i].value), true
		}
	}
	return "", false
}

// getAll returns the unfolded values of every field called name.
func (h *header) getAll(name string) []string {
	var vs []string
	for i := range h.fields {
		if h.fields[i].name != "" && strings.EqualFold(h.fields[i].name, name) {
			vs = append(vs, unfold(h.fields[i].value))
		}
	}
	return vs
}

// getRaw returns the value of the first (or, with last, the last) field
// called name as Dovecot keeps it (see rawValue).
func (h *header) getRaw(name string, last bool) (string, bool) {
	var v []byte
	found := false
	for i := range h.fields {
		if h.fields[i].name != "" && strings.EqualFold(h.fields[i].name, name) {
			v, found = h.fields[i].value, true
			if !last {
				break
			}
		}
	}
	if !found {
		return "", false
	}
	return rawValue(v), true
}

// getAllRaw returns the values of every field called name, as getRaw.
func (h *header) getAllRaw(name string) []string {
	var vs []string
	for i := range h.fields {
		if h.fields[i].name != "" && strings.EqualFold(h.fields[i].name, name) {
			vs = append(vs, rawValue(h.fields[i].value))
		}
	}
	return vs
}

// rawValue is a field value as Dovecot keeps it for the ENVELOPE and
// BODYSTRUCTURE strings it sends unparsed (Date, Subject before white
// space is collapsed, In-Reply-To, Message-ID, Content-ID,
// Content-Description, Content-MD5, Content-Location) and for the address
// lists it parses: white space right after the colon skipped, line breaks
// removed (RFC 5322 §2.2.3 unfolding), every other octet kept, the white
// space that began a continuation line and trailing white space included.
// RFC 5322 §2.2.3 removes only the CRLF, so "Message-ID:" CRLF SP "<id>"
// unfolds to " <id>". When the first line holds nothing but white space,
// Dovecot skips only its first octet ("Content-ID:" SP SP is " "), and so
// does rawValue. NULs, which no IMAP string may carry, are dropped.
func rawValue(v []byte) string {
	first := v
	if i := bytes.IndexAny(v, "\r\n"); i >= 0 {
		first = v[:i]
	}
	if len(bytes.TrimLeft(first, " \t")) > 0 {
		v = bytes.TrimLeft(v, " \t")
	} else if len(first) > 0 {
		v = v[1:]
	}
	var b strings.Builder
	b.Grow(len(v))
	for _, c := range v {
		if c == '\r' || c == '\n' || c == 0 {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unfold removes the line breaks of a folded value (RFC 5322 §2.2.3) and the
// white space around it. NULs, which no IMAP string may carry, are dropped.
func unfold(v []byte) string {
	var b strings.Builder
	b.Grow(len(v))
	for _, c := range v {
		if c == '\r' || c == '\n' || c == 0 {
			continue
		}
		b.WriteByte(c)
	}
	return strings.Trim(b.String(), " \t")
}

// filterFields returns the fields of the raw header block whose names are
// (not=false) or are not (not=true) in names: the HEADER.FIELDS and
// HEADER.FIELDS.NOT sections (internal/headerfields, which the metadata
// node also uses to filter on its side).
func filterFields(raw []byte, names []string, not bool) []byte {
	return headerfields.Filter(make([]byte, 0, len(raw)), raw, names, not)
}
