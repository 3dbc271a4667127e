package message

import (
	"bytes"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-message/charset"
)

// parseParamField parses a field of the form value *(";" attribute "="
// value), such as Content-Type (RFC 2045 §5.1) and Content-Disposition
// (RFC 2183), leniently: values may be quoted strings or any run of
// characters up to the next ';' (real mail carries unquoted tspecials such
// as "boundary=----=_Part_1"), comments are dropped, attributes without
// '=' are skipped, and RFC 2231 continuations and charsets are decoded to
// UTF-8. The value is lower-cased; parameters come in header order with
// lower-case names, the first of duplicates winning. mime.ParseMediaType
// is not used because it rejects such input whole and returns a map.
func parseParamField(v string) (string, []param) {
	items := splitParams(v)
	value := strings.ToLower(strings.TrimSpace(items[0]))

	type section struct {
		n   int
		ext bool
		val string
	}
	var order []string
	sections := map[string][]section{}
	plain := map[string]string{}
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
			if n, err := strconv.Atoi(base[i+1:]); err == nil && n >= 0 && n < 1000 {
				base, s.n = base[:i], n
			} else if s.ext {
				continue // malformed section number
			}
		} else if !s.ext {
			if _, dup := plain[base]; !dup {
				if _, seen := sections[base]; !seen {
					order = append(order, base)
				}
				plain[base] = val
			}
			continue
		}
		s.val = val
		if _, seen := sections[base]; !seen {
			if _, seen := plain[base]; !seen {
				order = append(order, base)
			}
		}
		sections[base] = append(sections[base], s)
	}

	out := make([]param, 0, len(order))
	for _, name := range order {
		ss, ok := sections[name]
		if !ok {
			out = append(out, param{name, plain[name]})
			continue
		}
		// The RFC 2231 form wins over a plain fallback of the same name.
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].n < ss[j].n })
		var raw []byte
		cs := ""
		for i, s := range ss {
			if i > 0 && s.n == ss[i-1].n {
				continue
			}
			val := s.val
			if s.ext {
				if i == 0 {
					// charset'language'value
					if a, rest, ok := strings.Cut(val, "'"); ok {
						if _, rest2, ok := strings.Cut(rest, "'"); ok {
							cs, val = a, rest2
						}
					}
				}
				raw = append(raw, percentDecode(val)...)
			} else {
				raw = append(raw, val...)
			}
		}
		out = append(out, param{name, toUTF8(cs, raw)})
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

func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok := unhex(s[i+1], s[i+2]); ok {
				out = append(out, h)
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}

// toUTF8 converts text in charset cs to UTF-8 (go-message's charset
// table); unknown charsets and invalid bytes fall back to validUTF8.
func toUTF8(cs string, b []byte) string {
	switch strings.ToLower(cs) {
	case "", "utf-8", "us-ascii", "utf8":
		return validUTF8(string(b))
	}
	r, err := charset.Reader(cs, bytes.NewReader(b))
	if err != nil {
		return validUTF8(string(b))
	}
	d, err := io.ReadAll(r)
	if err != nil {
		return validUTF8(string(b))
	}
	return validUTF8(string(d))
}
