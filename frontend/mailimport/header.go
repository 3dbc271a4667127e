package mailimport

import (
	"bytes"
	"io"
	"strconv"
	"strings"
)

// maxHeader bounds a message's header block; a longer one is not a mail
// header (a binary file, a lost separator).
const maxHeader = 1 << 20

// field is one header field with its continuation lines, without line
// endings.
type field struct {
	name  string // as written
	lines [][]byte
}

// readHeader reads a header block from next up to and including the empty
// line that ends it (or the end of the message: a message may be all
// header). It returns a reason for a block that is not a header block;
// an I/O error as err.
func readHeader(next func() (piece, error)) (fields []field, broken string, err error) {
	size := 0
	for {
		p, err := next()
		if err == io.EOF {
			if len(fields) == 0 {
				return nil, "empty message", nil
			}
			return fields, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		if !p.start || !p.end {
			return nil, "header line longer than 64 KiB", nil
		}
		if len(p.text) == 0 {
			if len(fields) == 0 {
				return nil, "no header fields", nil
			}
			return fields, "", nil
		}
		size += len(p.text) + 2
		if size > maxHeader {
			return nil, "header block larger than 1 MiB", nil
		}
		line := append([]byte(nil), p.text...)
		if line[0] == ' ' || line[0] == '\t' {
			if len(fields) == 0 {
				return nil, "header starts with a continuation line", nil
			}
			f := &fields[len(fields)-1]
			f.lines = append(f.lines, line)
			continue
		}
		name, ok := fieldName(line)
		if !ok {
			return nil, "line " + strconv.Quote(string(truncate(line, 40))) + " is not a header field", nil
		}
		fields = append(fields, field{name: name, lines: [][]byte{line}})
	}
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// fieldName returns the name of a field line "Name: value" (RFC 5322
// §2.2: printable ASCII but ":", then ":"; whitespace before the colon is
// tolerated, as in obsolete syntax, §4.5).
func fieldName(line []byte) (string, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", false
	}
	name := bytes.TrimRight(line[:i], " \t")
	if len(name) == 0 {
		return "", false
	}
	for _, c := range name {
		if c < 33 || c > 126 {
			return "", false
		}
	}
	return string(name), true
}

// value is the unfolded value of a field.
func (f field) value() string {
	var b strings.Builder
	for i, l := range f.lines {
		if i == 0 {
			l = l[bytes.IndexByte(l, ':')+1:]
		}
		b.Write(l)
	}
	return strings.TrimSpace(b.String())
}

// writeHeader renders fields with CRLF line endings and the empty line
// that ends the header.
func writeHeader(fields []field) []byte {
	var b bytes.Buffer
	for _, f := range fields {
		for _, l := range f.lines {
			b.Write(l)
			b.WriteString("\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// mboxStateFields are the header fields mbox MUAs keep their state in;
// they become flags (or are dropped) on import, as Dovecot does.
var mboxStateFields = map[string]bool{
	"status": true, "x-status": true, "x-keywords": true,
	"x-uid": true, "x-imap": true, "x-imapbase": true,
}

// mboxFlags extracts the flags of an mbox message's state fields and
// returns the fields without them.
func mboxFlags(fields []field) (flags []string, rest []field) {
	add := func(f string) {
		for _, g := range flags {
			if strings.EqualFold(f, g) {
				return
			}
		}
		flags = append(flags, f)
	}
	for _, f := range fields {
		name := strings.ToLower(f.name)
		v := f.value()
		switch name {
		case "status":
			if strings.ContainsRune(v, 'R') {
				add(`\Seen`)
			}
		case "x-status":
			for _, c := range v {
				if fl, ok := xStatusFlags[c]; ok {
					add(fl)
				}
			}
		case "x-keywords":
			for _, kw := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
				if validKeyword(kw) {
					add(kw)
				}
			}
		case "x-mozilla-status":
			// Thunderbird's bit field (nsMsgMessageFlags); the field is
			// kept, as it is not one Dovecot hides.
			if n, err := strconv.ParseUint(v, 16, 32); err == nil {
				for bit, fl := range mozillaFlags {
					if n&bit != 0 {
						add(fl)
					}
				}
			}
		}
		if !mboxStateFields[name] {
			rest = append(rest, f)
		}
	}
	return flags, rest
}

var xStatusFlags = map[rune]string{'A': `\Answered`, 'F': `\Flagged`, 'T': `\Draft`, 'D': `\Deleted`}

var mozillaFlags = map[uint64]string{0x1: `\Seen`, 0x2: `\Answered`, 0x4: `\Flagged`, 0x8: `\Deleted`, 0x1000: "$Forwarded"}

// validKeyword reports whether s can be an IMAP keyword: an atom (RFC 9051
// §9 atom-char) not starting with "\", of at most 256 octets (what the
// metadata node stores), so that an import never fails on a keyword.
func validKeyword(s string) bool {
	if s == "" || s[0] == '\\' || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}
