package message

import "strings"

// addr is one ENVELOPE address (RFC 9051 §7.5.2): name, adl, mailbox, host.
// A group start has mailbox = group name and no host; a group end has
// nothing set.
type addr struct {
	name, adl, mailbox, host *string
}

// Placeholders Dovecot uses when an address lacks a part, since a NIL host
// would turn it into a group marker.
const (
	missingMailbox = "MISSING_MAILBOX"
	missingDomain  = "MISSING_DOMAIN"
)

// token kinds of the address lexer.
const (
	tWord    = iota // atom, quoted string or domain literal
	tSpecial        // one of < > @ , ; : .
	tComment
)

type token struct {
	kind   int
	text   string // unquoted text; the special character itself
	spaced bool   // white space or a comment came before it
}

// lexAddresses splits a raw, unfolded address-list field into tokens
// (RFC 5322 §3.2, leniently: anything that is not special is an atom).
func lexAddresses(s string) []token {
	var toks []token
	spaced := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			spaced = true
			i++
			continue
		case c == '"':
			var b strings.Builder
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
			i++ // closing quote (or past the end)
			toks = append(toks, token{tWord, b.String(), spaced})
		case c == '(':
			depth, start := 0, i+1
			for ; i < len(s); i++ {
				if s[i] == '\\' {
					i++
					continue
				}
				if s[i] == '(' {
					depth++
				} else if s[i] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			end := min(i, len(s))
			toks = append(toks, token{tComment, strings.TrimSpace(s[start:end]), spaced})
			i = end + 1
			spaced = true
			continue
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				j = len(s) - i - 1
			}
			toks = append(toks, token{tWord, s[i : i+j+1], spaced})
			i += j + 1
		case strings.IndexByte("<>@,;:.", c) >= 0:
			toks = append(toks, token{tSpecial, s[i : i+1], spaced})
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\"(<>@,;:.[", s[j]) < 0 {
				j++
			}
			toks = append(toks, token{tWord, s[i:j], spaced})
			i = j
		}
		spaced = false
	}
	return toks
}

// parseAddressList parses an address-list field into ENVELOPE addresses,
// with group syntax (RFC 5322 §3.4). Display names, local parts and domains
// are returned as written (encoded words kept, quotes removed), as Dovecot
// does. It never fails: what cannot be read as an address is skipped.
func parseAddressList(s string) []addr {
	p := &addrParser{toks: lexAddresses(s)}
	var out []addr
	inGroup := false
	for p.i < len(p.toks) {
		phrase, stop := p.phrase()
		switch stop {
		case ":":
			p.i++
			if inGroup {
				continue // no nested groups; ignore the colon
			}
			name := phrase
			out = append(out, addr{mailbox: &name})
			inGroup = true
		case ";":
			p.i++
			if phrase != "" {
				out = append(out, bareAddr(phrase))
			}
			if inGroup {
				out = append(out, addr{})
				inGroup = false
			}
		case "<":
			p.i++
			out = append(out, p.angle(phrase))
		case "@":
			p.i++
			out = append(out, p.addrSpec(phrase))
		case ",", "":
			p.i++
			if phrase != "" {
				out = append(out, bareAddr(phrase))
			}
		default: // a stray '>'
			p.i++
		}
	}
	if inGroup {
		out = append(out, addr{})
	}
	return out
}

type addrParser struct {
	toks    []token
	i       int
	comment string // last comment seen, a name of last resort
}

// phrase reads words (and dots, obs-phrase) up to a special that ends it,
// returning the joined text and that special ("" at the end).
func (p *addrParser) phrase() (string, string) {
	var b strings.Builder
	p.comment = ""
	for ; p.i < len(p.toks); p.i++ {
		t := p.toks[p.i]
		switch {
		case t.kind == tComment:
			p.comment = t.text
			continue
		case t.kind == tSpecial && t.text != ".":
			return b.String(), t.text
		}
		if t.spaced && b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String(), ""
}

// angle reads an angle-addr after '<': [route ":"] local "@" domain ">".
func (p *addrParser) angle(name string) addr {
	var route, local, domain strings.Builder
	part := &local
	for ; p.i < len(p.toks); p.i++ {
		t := p.toks[p.i]
		if t.kind == tComment {
			continue
		}
		if t.kind == tSpecial {
			switch t.text {
			case ">":
				p.i++
				return p.finish(name, route.String(), local.String(), domain.String())
			case "@":
				if local.Len() == 0 && part == &local && route.Len() == 0 || part == &route {
					// A source route: @a,@b:
					if part != &route {
						part = &route
					}
					route.WriteByte('@')
					continue
				}
				part = &domain
				continue
			case ",":
				if part == &route {
					route.WriteByte(',')
				}
				continue
			case ":":
				if part == &route {
					part = &local
				}
				continue
			case ".":
				part.WriteByte('.')
				continue
			default: // ; < inside an angle: give up on this address
				return p.finish(name, route.String(), local.String(), domain.String())
			}
		}
		part.WriteString(t.text)
	}
	return p.finish(name, route.String(), local.String(), domain.String())
}

// addrSpec reads the domain of an addr-spec after "local@".
func (p *addrParser) addrSpec(local string) addr {
	var domain strings.Builder
	for ; p.i < len(p.toks); p.i++ {
		t := p.toks[p.i]
		if t.kind == tComment {
			p.comment = t.text
			continue
		}
		if t.kind == tSpecial && t.text != "." {
			break
		}
		domain.WriteString(t.text)
	}
	return p.finish("", "", local, domain.String())
}

// finish completes an address. A missing local part or domain, "<>"
// included (the null path belongs in Return-Path only, RFC 5322 §3.6.7),
// gets Dovecot's placeholders: a NIL host would make it a group marker.
func (p *addrParser) finish(name, route, local, domain string) addr {
	if name == "" && p.comment != "" {
		name = p.comment
	}
	a := addr{}
	if name != "" {
		a.name = &name
	}
	// A route needs a domain ("@a.test"): a lone "@" or ",", as in "<@>",
	// is no route (RFC 5322 §4.4 obs-route).
	if strings.Trim(route, "@,") != "" {
		a.adl = &route
	}
	if local == "" {
		local = missingMailbox
	}
	if domain == "" {
		domain = missingDomain
	}
	a.mailbox, a.host = &local, &domain
	return a
}

// bareAddr is a lone word where an address was expected ("undisclosed").
func bareAddr(local string) addr {
	d := missingDomain
	return addr{mailbox: &local, host: &d}
}
