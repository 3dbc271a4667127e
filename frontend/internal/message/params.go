package message

import (
	"sort"
	"strconv"
	"strings"
)

// mediaType is a parsed Content-Type (RFC 2045 §5.1): type and subtype as
// written, lower-cased, and the parameters.
//
// Malformed values are read as Dovecot reads them, so that both servers
// report the same BODYSTRUCTURE (DIFFERENCES.md D6): a type that ends the
// value ("text", "garbage", "text (comment") is kept with an empty subtype
// and no parameters; anything else that is not type "/" subtype followed
// by ";" or the end (a quoted type, a comment inside a token, "text/",
// "text/plain/extra", "text; charset=x") has an empty type and subtype. Neither is replaced by
// text/plain: RFC 2045 §5.2's advice to assume text/plain is about how to
// display the part, and the part's own header says what it is; a client
// that cannot use "garbage" "" shows it as an attachment.
type mediaType struct {
	typ, sub string
	params   []param
}

// parseContentType parses a Content-Type value.
func parseContentType(v string) mediaType {
	l := &lexer{s: v}
	if l.skipCFWS() != more {
		return mediaType{}
	}
	var typ strings.Builder
	if l.token(&typ) != more {
		// The value ends after the type (or in a comment that never
		// closes): the type is kept, without subtype or parameters.
		return mediaType{typ: strings.ToLower(typ.String())}
	}
	if typ.Len() == 0 || l.peek() != '/' {
		return mediaType{}
	}
	l.pos++
	if l.skipCFWS() != more {
		return mediaType{}
	}
	var sub strings.Builder
	ret := l.token(&sub)
	if ret == broken || sub.Len() == 0 || ret == more && l.peek() != ';' {
		return mediaType{}
	}
	return mediaType{
		typ:    strings.ToLower(typ.String()),
		sub:    strings.ToLower(sub.String()),
		params: parseParams(l),
	}
}

// parseDisposition parses a Content-Disposition value (RFC 2183): the
// disposition type, possibly empty (an empty field is reported as the
// empty disposition, as Dovecot does), and the parameters. ok is false
// when a comment after the type never closes.
func parseDisposition(v string) (disp string, ps []param, ok bool) {
	l := &lexer{s: v}
	l.skipCFWS()
	var d strings.Builder
	if l.token(&d) == broken {
		return "", nil, false
	}
	return strings.ToLower(d.String()), parseParams(l), true
}

// parseParams reads *(";" attribute "=" value) (RFC 2045 §5.1) from l's
// position. Values are tokens or quoted strings; a value starting with '='
// runs to the next ';' or white space (mailers write name==?utf-8?...?=
// unquoted). A parameter that does not parse is skipped up to the next ';'
// and the rest is read on, as Dovecot does. Names are lower-cased.
//
// RFC 2231 parameters are then merged as RFC 9051 §7.5.2 (body parameter
// parenthesized list) asks: continuations "baz*0", "baz*1" become one
// "baz"; when any section is extended ("foo*", "foo*0*"), the merged value
// is returned as "foo*", still in RFC 2231 extended form
// (charset'language'percent-encoded), which tells the client its charset;
// a continuation with a missing section is not merged but listed section by
// section ("baz*0", "baz*2"). Plain parameters come first, in header order,
// duplicates kept; then the RFC 2231 ones by name. mime.ParseMediaType is
// not used because it rejects such input whole and returns a map.
func parseParams(l *lexer) []param {
	var plain []param
	var sections []section
	for !l.end() {
		name, val, ok := nextParam(l)
		if !ok {
			// Skip to the next ';' (the failed one's included).
			if l.end() {
				break
			}
			l.pos++
			continue
		}
		if s, ok := rfc2231Section(name, val); ok {
			sections = append(sections, s)
			continue
		}
		plain = append(plain, param{strings.ToLower(name), val})
	}
	return append(plain, mergeSections(sections)...)
}

// nextParam reads one ";" attribute "=" value at l's position.
func nextParam(l *lexer) (name, val string, ok bool) {
	if l.peek() != ';' {
		return "", "", false
	}
	l.pos++
	if l.skipCFWS() != more {
		return "", "", false
	}
	var n strings.Builder
	if l.token(&n) != more || l.peek() != '=' {
		return "", "", false
	}
	l.pos++
	var v strings.Builder
	ret := l.skipCFWS()
	switch {
	case ret != more:
		// No value: empty at the end, nothing after a broken comment.
	case l.peek() == '"':
		ret = l.quoted(&v)
	case l.peek() == '=':
		start := l.pos
		for !l.end() && strings.IndexByte("; \t\r\n", l.peek()) < 0 {
			l.pos++
		}
		v.WriteString(l.s[start:l.pos])
	default:
		ret = l.token(&v)
	}
	if ret == broken {
		return "", "", false
	}
	return n.String(), v.String(), true
}

// section is one RFC 2231 §3/§4 parameter section: name*N, name*N*, name*.
type section struct {
	name string // as written, without the section suffix
	n    int
	ext  bool
	val  string
}

// rfc2231Section reads name as an RFC 2231 section name; ok is false for a
// plain parameter (no '*', or anything but digits and one final '*' after
// it).
func rfc2231Section(name, val string) (section, bool) {
	i := strings.IndexByte(name, '*')
	if i < 0 {
		return section{}, false
	}
	s := section{name: name[:i], val: val}
	rest := name[i+1:]
	if rest == "" {
		s.ext = true // name*
		return s, true
	}
	digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
	s.n, _ = strconv.Atoi(rest[:min(digits, 9)])
	switch rest[digits:] {
	case "":
	case "*":
		s.ext = true
	default:
		return section{}, false
	}
	return s, true
}

// mergeSections joins the sections of each name (sorted by name as
// written, then by number).
func mergeSections(ss []section) []param {
	sort.SliceStable(ss, func(i, j int) bool {
		if ss[i].name != ss[j].name {
			return ss[i].name < ss[j].name
		}
		return ss[i].n < ss[j].n
	})
	var out []param
	for i := 0; i < len(ss); {
		j, complete, ext := i, true, false
		for ; j < len(ss) && strings.EqualFold(ss[j].name, ss[i].name); j++ {
			complete = complete && ss[j].n == j-i
			ext = ext || ss[j].ext
		}
		group := ss[i:j]
		i = j
		name := strings.ToLower(group[0].name)
		if !complete {
			// A gap or a repeated section: no value can be trusted to be
			// whole, so each section is listed under its own name.
			for _, s := range group {
				n := name + "*" + strconv.Itoa(s.n)
				if s.ext {
					n += "*"
				}
				out = append(out, param{n, s.val})
			}
			continue
		}
		var b strings.Builder
		if ext && !group[0].ext {
			b.WriteString("''") // no charset, no language (RFC 2231 §4)
		}
		for _, s := range group {
			if ext && !s.ext {
				// A plain section inside an extended value: its '%'
				// must not read as an escape.
				b.WriteString(strings.ReplaceAll(s.val, "%", "%25"))
			} else {
				b.WriteString(s.val)
			}
		}
		if ext {
			name += "*"
		}
		out = append(out, param{name, b.String()})
	}
	return out
}
