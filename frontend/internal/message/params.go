package message

import (
	"sort"
	"strconv"
	"strings"
)

// parseParamField parses a field of the form value *(";" attribute "="
// value), such as Content-Type (RFC 2045 §5.1) and Content-Disposition
// (RFC 2183), leniently: values may be quoted strings or any run of
// characters up to the next ';' (real mail carries unquoted tspecials such
// as "boundary=----=_Part_1"), comments are dropped, attributes without
// '=' are skipped. The value is lower-cased; names are lower-cased.
//
// RFC 2231 parameters are merged as RFC 9051 §7.5.2 (body parameter
// parenthesized list) asks: continuations "baz*0", "baz*1" become one
// "baz"; when any section is extended ("foo*", "foo*0*"), the merged value
// is returned as "foo*", still in RFC 2231 extended form
// (charset'language'percent-encoded), which tells the client its charset.
// Plain parameters come first, in header order (the first of duplicates
// winning), then the RFC 2231 ones by name; Dovecot answers the same, and
// mime.ParseMediaType is not used because it rejects such input whole and
// returns a map.
func parseParamField(v string) (string, []param) {
	items := splitParams(v)
	value := strings.ToLower(strings.TrimSpace(items[0]))

	type section struct {
		n   int
		ext bool
		val string
	}
	var out []param
	seen := map[string]bool{}
	sections := map[string][]section{}
	for _, it := range items[1:] {
		name, val, ok := strings.Cut(it, "=")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		val = unquote(strings.TrimSpace(val))
		if name == "" {
			continue
		}
		// RFC 2231 §3, §4: name*N, name*N*, name*.
		base, s := name, section{}
		if strings.HasSuffix(base, "*") {
			base, s.ext = base[:len(base)-1], true
		}
		if i := strings.LastIndexByte(base, '*'); i >= 0 {
			n, err := strconv.Atoi(base[i+1:])
			if err != nil || n < 0 || n >= 1000 {
				continue // malformed section number
			}
			base, s.n = base[:i], n
		} else if !s.ext {
			if !seen[base] {
				seen[base] = true
				out = append(out, param{base, val})
			}
			continue
		}
		if base == "" {
			continue
		}
		s.val = val
		sections[base] = append(sections[base], s)
	}

	names := make([]string, 0, len(sections))
	for name := range sections {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ss := sections[name]
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].n < ss[j].n })
		if ss[0].n != 0 {
			continue // no first section: nothing to continue
		}
		var b strings.Builder
		ext := false
		for i, s := range ss {
			if s.n != i {
				break // a gap or a duplicate section ends the value
			}
			ext = ext || s.ext
			b.WriteString(s.val)
		}
		if ext {
			name += "*"
		}
		out = append(out, param{name, b.String()})
	}
	return value, out
}

// splitParams splits at ';' outside quoted strings and drops comments
// (RFC 5322 §3.2.2 CFWS).
func splitParams(v string) []string {
	var items []string
	var cur strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quoted:
			cur.WriteByte(c)
			if c == '\\' && i+1 < len(v) {
				i++
				cur.WriteByte(v[i])
			} else if c == '"' {
				quoted = false
			}
		case depth > 0:
			if c == '\\' {
				i++
			} else if c == '(' {
				depth++
			} else if c == ')' {
				depth--
			}
		case c == '"':
			quoted = true
			cur.WriteByte(c)
		case c == '(':
			depth = 1
		case c == ';':
			items = append(items, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(items, cur.String())
}

// unquote removes the quotes and backslash escapes of a quoted string;
// anything else is returned as is.
func unquote(s string) string {
	if len(s) < 2 || s[0] != '"' {
		return s
	}
	s = strings.TrimSuffix(s[1:], `"`)
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
