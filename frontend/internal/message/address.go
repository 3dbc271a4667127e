package message

import "strings"

// addr is one ENVELOPE address (RFC 9051 §7.5.2): name, adl, mailbox, host.
// A group start has mailbox = group name and no host; a group end has
// nothing set.
type addr struct {
	name, adl, mailbox, host *string
}

// Placeholders for the parts a malformed address lacks, as Dovecot sends
// them: a NIL host would turn the address into a group marker (RFC 9051
// §7.5.2), so every address gets a mailbox and a host.
const (
	missingMailbox = "MISSING_MAILBOX"
	missingDomain  = "MISSING_DOMAIN"
	invalidRoute   = "INVALID_ROUTE"
	syntaxError    = "SYNTAX_ERROR"
)

// parseAddressList parses an address-list field (RFC 5322 §3.4, groups
// included) into ENVELOPE addresses. Display names, local parts and domains
// are returned as written (encoded words kept, quotes removed). It never
// fails. Input that is no address is read the way Dovecot reads it, so both
// servers send the same envelope: the list is read address by address and
// ends at the first one that is not followed by a comma; a malformed
// address keeps the parts that were read and gets placeholders for the
// others (MISSING_MAILBOX, MISSING_DOMAIN; INVALID_ROUTE for a source route
// that does not parse, SYNTAX_ERROR as the host of a name-addr whose angle
// brackets hold no address).
func parseAddressList(s string) []addr {
	p := &addrParser{lexer: lexer{s: s}}
	if p.skipCFWS() != more {
		return nil
	}
	for {
		if p.address() == atEnd {
			break
		}
		if p.peek() != ',' {
			break
		}
		p.pos++
		if ret := p.skipCFWS(); ret != more {
			if ret == broken {
				p.addFixed() // ends in an unclosed comment
			}
			break
		}
	}
	return p.out
}

// addrParser is a recursive-descent reader of RFC 5322 §3.4 over lexer.
// Its methods return more, atEnd or broken like the lexer's, for the input
// after what they read.
type addrParser struct {
	lexer
	out []addr
	cur addr // the address being read
}

func (p *addrParser) emit() {
	p.out = append(p.out, p.cur)
	p.cur = addr{}
}

// addFixed emits the current address with placeholders for what it lacks.
func (p *addrParser) addFixed() {
	if p.cur.mailbox == nil {
		p.cur.mailbox = strPtr(missingMailbox)
	}
	if p.cur.host == nil || *p.cur.host == "" {
		p.cur.host = strPtr(missingDomain)
	}
	p.emit()
}

func strPtr(s string) *string { return &s }

// address = mailbox / group
func (p *addrParser) address() int {
	start := p.pos
	if ret, ok := p.group(); ok {
		return ret
	}
	p.pos = start
	return p.mailbox()
}

// group = display-name ":" [mailbox-list / CFWS] ";" [CFWS]. ok is false
// when the input is no group (no display name followed by ':'); past the
// colon it is a group however broken the rest, which may lack the ';'.
func (p *addrParser) group() (ret int, ok bool) {
	var name strings.Builder
	if p.phrase(&name) != more || p.peek() != ':' {
		return broken, false
	}
	p.pos++
	ret = p.skipCFWS()
	p.cur.mailbox = strPtr(name.String())
	p.emit()
	if ret == more && p.peek() != ';' {
		for {
			p.mailbox() // a broken member is kept as read
			if p.peek() != ',' {
				break
			}
			p.pos++
			if p.skipCFWS() != more {
				ret = broken
				break
			}
		}
	}
	if ret != broken {
		if p.peek() != ';' {
			ret = broken
		} else {
			p.pos++
			ret = p.skipCFWS()
		}
	}
	p.emit() // the group end marker
	if ret == atEnd {
		return atEnd, true
	}
	return more, true
}

// mailbox = name-addr / addr-spec
func (p *addrParser) mailbox() int {
	start := p.pos
	ret, ok := p.nameAddr()
	if !ok {
		p.pos = start
		var invalid bool
		ret, invalid = p.addrSpec()
		if invalid && p.cur.name == nil && p.cur.mailbox != nil && p.cur.host == nil {
			// A lone word that cannot be a mailbox is a name.
			p.cur.name, p.cur.mailbox = p.cur.mailbox, nil
		}
	}
	p.addFixed()
	return ret
}

// nameAddr = [display-name] angle-addr. ok is false when there is no '<'
// after the phrase; an angle address that does not parse makes the host
// SYNTAX_ERROR.
func (p *addrParser) nameAddr() (int, bool) {
	var name strings.Builder
	if p.phrase(&name) != more || p.peek() != '<' {
		return broken, false
	}
	if name.Len() > 0 {
		p.cur.name = strPtr(name.String())
	}
	if p.angleAddr() == broken {
		p.cur.host = strPtr(syntaxError)
	}
	return p.status(), true
}

// angleAddr = "<" [obs-route] addr-spec ">" (RFC 5322 §3.4, §4.4). "<>"
// leaves mailbox and host unset (the null path belongs to Return-Path,
// RFC 5322 §3.6.7).
func (p *addrParser) angleAddr() int {
	p.pos++ // '<'
	if p.skipCFWS() != more {
		return broken
	}
	if p.peek() == '@' {
		if p.route() == more && p.peek() == ':' {
			p.pos++
		} else {
			p.cur.adl = strPtr(invalidRoute)
			if p.end() {
				return broken
			}
			// Carry on with whatever follows the route.
		}
		if p.skipCFWS() != more {
			return broken
		}
	}
	if p.peek() != '>' {
		if p.localPart() != more {
			return broken
		}
		if p.peek() == '@' {
			if p.domainPart() != more {
				return broken
			}
		}
	}
	if p.peek() != '>' {
		return broken
	}
	p.pos++
	return p.skipCFWS()
}

// route reads obs-domain-list: "@" domain *("," [CFWS] "@" domain).
func (p *addrParser) route() int {
	var b strings.Builder
	for {
		if p.end() {
			return atEnd
		}
		if p.peek() != '@' {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('@')
		if ret := p.domain(&b); ret != more {
			return ret
		}
		for p.skipCFWS() == more && p.peek() == ',' {
			p.pos++
		}
	}
	p.cur.adl = strPtr(b.String())
	return more
}

// localPart reads a dot-atom or quoted string into cur.mailbox.
func (p *addrParser) localPart() int {
	var b strings.Builder
	var ret int
	if p.peek() == '"' {
		ret = p.quoted(&b)
	} else {
		ret = p.localDotAtom(&b)
	}
	if ret == broken {
		return broken
	}
	p.cur.mailbox = strPtr(b.String())
	return ret
}

// domainPart reads "@" domain into cur.host.
func (p *addrParser) domainPart() int {
	var b strings.Builder
	ret := p.domain(&b)
	if ret == broken {
		return broken
	}
	p.cur.host = strPtr(b.String())
	return ret
}

// addrSpec = local-part "@" domain, read leniently: a comment after it is
// the display name; a word without '@' is a mailbox when it stands alone,
// and with more words after it all of them are a display name. invalid
// reports input that is no addr-spec.
func (p *addrParser) addrSpec() (ret int, invalid bool) {
	p.comment = ""
	quoted := p.peek() == '"'
	var local strings.Builder
	if quoted {
		ret = p.quoted(&local)
	} else {
		ret = p.localDotAtom(&local)
	}
	if ret != broken {
		p.cur.mailbox = strPtr(local.String())
	}
	invalid = ret != more
	sawAt := false
	if ret != atEnd && p.peek() == '@' {
		sawAt = true
		if r := p.domainPart(); r != more {
			ret = r
		}
	}
	switch {
	case p.comment != "":
		p.cur.name = strPtr(p.comment)
	case !sawAt:
		// Words after a lone local part make it all a display name.
		local.WriteByte(' ')
		n := local.Len()
		p.phrase(&local)
		if local.Len() != n {
			p.cur.mailbox = nil
			p.cur.name = strPtr(local.String())
		} else if !quoted {
			p.cur.host = strPtr("")
		}
		invalid, ret = true, broken
	}
	return ret, invalid
}
