package threading

import (
	"io"
	"mime"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// The sort keys of addresses come from the message's IMAP ENVELOPE (RFC
// 5256 §3 "[IMAP] addr-mailbox of the first ... address", RFC 5957 §3
// addr-name), which metadata keeps pre-rendered in wire form. Reading it
// back keeps group syntax, which a decoded address list has lost: the
// first address of "undisclosed-recipients:;" is the group start, whose
// addr-mailbox is the group name.

// envValue is an item of the envelope: a string (nil for NIL) or a list.
type envValue struct {
	s      *string
	list   []envValue
	isList bool
}

// envReader reads IMAP response syntax: "(" ... ")", NIL, quoted strings
// and literals, which is all an ENVELOPE holds.
type envReader struct {
	b   []byte
	pos int
}

// maxEnvDepth bounds nesting: an envelope nests three deep.
const maxEnvDepth = 8

func (r *envReader) value(depth int) (envValue, bool) {
	if r.pos >= len(r.b) || depth > maxEnvDepth {
		return envValue{}, false
	}
	switch c := r.b[r.pos]; {
	case c == '(':
		r.pos++
		v := envValue{isList: true}
		for {
			if r.pos >= len(r.b) {
				return envValue{}, false
			}
			if r.b[r.pos] == ')' {
				r.pos++
				return v, true
			}
			// Items are separated by SP, except addresses in an address
			// list, which follow one another ("(" 1*address ")").
			if len(v.list) > 0 && r.b[r.pos] == ' ' {
				r.pos++
			}
			item, ok := r.value(depth + 1)
			if !ok {
				return envValue{}, false
			}
			v.list = append(v.list, item)
		}
	case c == '"':
		var sb strings.Builder
		for r.pos++; r.pos < len(r.b); r.pos++ {
			switch r.b[r.pos] {
			case '\\':
				r.pos++
				if r.pos < len(r.b) {
					sb.WriteByte(r.b[r.pos])
				}
			case '"':
				r.pos++
				s := sb.String()
				return envValue{s: &s}, true
			default:
				sb.WriteByte(r.b[r.pos])
			}
		}
		return envValue{}, false
	case c == '{':
		end := strings.IndexByte(string(r.b[r.pos:]), '}')
		if end < 0 {
			return envValue{}, false
		}
		n, err := strconv.Atoi(strings.TrimSuffix(string(r.b[r.pos+1:r.pos+end]), "+"))
		start := r.pos + end + 3 // "}\r\n"
		if err != nil || n < 0 || start > len(r.b) || n > len(r.b)-start {
			return envValue{}, false
		}
		s := string(r.b[start : start+n])
		r.pos = start + n
		return envValue{s: &s}, true
	case strings.HasPrefix(string(r.b[r.pos:min(r.pos+3, len(r.b))]), "NIL"):
		r.pos += 3
		return envValue{}, true
	}
	return envValue{}, false
}

// envelope fields (RFC 9051 §7.5.2): date, subject, from, sender,
// reply-to, to, cc, ...
const (
	envFrom = 2
	envTo   = 5
	envCc   = 6
)

// parseEnvelope returns the first address of From, To and Cc (ok false
// for each list that is NIL or empty), or false if env is not an envelope.
func parseEnvelope(env []byte) (first [3]address, present [3]bool, ok bool) {
	r := &envReader{b: env}
	v, ok := r.value(0)
	if !ok || !v.isList || len(v.list) < envCc+1 {
		return first, present, false
	}
	for i, f := range []int{envFrom, envTo, envCc} {
		l := v.list[f]
		if !l.isList || len(l.list) == 0 {
			continue
		}
		a := l.list[0]
		if !a.isList || len(a.list) != 4 {
			return first, present, false
		}
		str := func(v envValue) (string, bool) {
			if v.s == nil {
				return "", false
			}
			return *v.s, true
		}
		var ad address
		var hasName bool
		var name string
		name, hasName = str(a.list[0])
		if hasName {
			ad.name = decodeWords(name)
		}
		ad.mailbox, _ = str(a.list[2])
		ad.host, _ = str(a.list[3])
		first[i], present[i] = ad, true
	}
	return first, present, true
}

// wordDecoder decodes RFC 2047 encoded words in any charset x/text knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, in io.Reader) (io.Reader, error) {
	e, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return e.NewDecoder().Reader(in), nil
}}

// decodeWords applies RFC 2047 to a display name (RFC 5957 §3 via RFC
// 5255 §4.6); undecodable text stays as it is.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}
