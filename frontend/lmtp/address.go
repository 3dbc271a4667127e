package lmtp

import "strings"

// recipient is a parsed RCPT TO address.
type recipient struct {
	local  string // local part without the detail
	detail string // after the first "+", "" if none
	domain string // "" if the address has none
}

// parseRecipient splits "local+detail@domain". A quoted local part
// ("a b"@x, RFC 5321 §4.1.2) is unquoted. It reports false for an address
// with an empty local part.
func parseRecipient(addr string) (recipient, bool) {
	var r recipient
	local := addr
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		local, r.domain = addr[:i], addr[i+1:]
	}
	if len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"' {
		local = unquote(local[1 : len(local)-1])
	}
	r.local = local
	if i := strings.IndexByte(local, '+'); i >= 0 {
		r.local, r.detail = local[:i], local[i+1:]
	}
	return r, r.local != ""
}

// unquote removes the backslash escapes of a quoted-string's content.
func unquote(s string) string {
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

// userCandidates are the user names an address may name, most specific
// first: "local@domain", "local", then both in lower case (MTAs keep the
// case the sender used; user names are usually lower case).
func (r recipient) userCandidates() []string {
	var out []string
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	for _, lower := range []bool{false, true} {
		for _, with := range []bool{true, false} {
			u := r.local
			if with {
				if r.domain == "" {
					continue
				}
				u += "@" + r.domain
			}
			if lower {
				u = strings.ToLower(u)
			}
			add(u)
		}
	}
	return out
}
