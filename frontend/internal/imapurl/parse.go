package imapurl

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

var (
	// ErrSyntax: the string is not an IMAP URL (RFC 5092 §11).
	ErrSyntax = errors.New("imapurl: invalid IMAP URL")
	// ErrNotMessage: a valid IMAP URL that names a server, a mailbox or a
	// search rather than a message or a message part.
	ErrNotMessage = errors.New("imapurl: URL does not name a message")
	// ErrRelativePath: a relative-path reference that starts with a mailbox
	// name, which RFC 5092 §7.2 forbids accepting.
	ErrRelativePath = errors.New("imapurl: relative-path reference to a mailbox")
)

// URL is a parsed IMAP URL naming a message or a message part (RFC 5092
// §6): imap://<iserver>/<enc-mailbox>[<uidvalidity>]<iuid>[<isection>]
// [<ipartial>][<iurlauth>], or a relative reference to one.
type URL struct {
	// Server is set for an absolute URL or a network-path reference, nil
	// for references resolved against a base URL.
	Server *Server
	// Mailbox is the decoded mailbox name (UTF-8, "/" separated, RFC 5092
	// §8); "" when a relative reference inherits it from the base URL.
	Mailbox string
	// UIDValidity is 0 when absent.
	UIDValidity uint32
	// UID is 0 when a relative reference (";SECTION=", ";PARTIAL=")
	// inherits it from the base URL.
	UID uint32
	// Section is the decoded section-spec, as in FETCH BODY[<section>]
	// (RFC 5092 §6); "" for the whole message.
	Section string
	// Partial is the ";PARTIAL=" byte range, nil when absent.
	Partial *Partial
	// URLAuth is the raw iurlauth component (";EXPIRE=...;URLAUTH=...",
	// RFC 5092 §6.1.2), "" when absent. Parse does not verify it.
	URLAuth string
}

// Server is the iserver component: [iuserinfo "@"] host [":" port].
type Server struct {
	User string // decoded enc-user, "" when absent (anonymous, RFC 5092 §3.2)
	Auth string // decoded enc-auth-type or "*", "" when absent
	Host string // decoded and lower-cased
	Port int    // 0 when absent
}

// Partial is partial-range = number ["." nz-number] (RFC 5092 §11).
type Partial struct {
	Offset uint32
	Length uint32 // 0: to the end of the section
}

// Parse parses an absolute IMAP URL or a relative reference (RFC 5092 §7)
// that names a message or a message part. Errors wrap ErrSyntax,
// ErrNotMessage or ErrRelativePath.
func Parse(s string) (*URL, error) {
	p := &parser{s: s}
	u := &URL{}
	var err error
	switch {
	case s == "":
		// ipath-empty: the base URL itself, never a message in CATENATE's
		// bases (RFC 4469 §3).
		return nil, fmt.Errorf("%w: empty reference", ErrNotMessage)
	case hasPrefixFold(s, "imap://"):
		p.pos = len("imap://")
		err = p.networkPath(u)
	case strings.HasPrefix(s, "//"):
		p.pos = 2
		err = p.networkPath(u)
	case s[0] == '/':
		p.pos = 1
		err = p.messagePart(u)
	case s[0] == ';':
		err = p.relative(u)
	case hasScheme(s):
		return nil, fmt.Errorf("%w: not an imap: URL", ErrSyntax)
	default:
		return nil, ErrRelativePath
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

type parser struct {
	s   string
	pos int
}

func (p *parser) atEnd() bool { return p.pos >= len(p.s) }

func (p *parser) peekIs(c byte) bool { return p.pos < len(p.s) && p.s[p.pos] == c }

// literal consumes lit (case-insensitively, RFC 5092 §11) if it is next.
func (p *parser) literal(lit string) bool {
	if hasPrefixFold(p.s[p.pos:], lit) {
		p.pos += len(lit)
		return true
	}
	return false
}

func (p *parser) span(ok func(byte) bool) string {
	start := p.pos
	for p.pos < len(p.s) && ok(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos]
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format+" at offset %d", append([]any{ErrSyntax}, append(args, p.pos)...)...)
}

// networkPath parses iserver ipath-query after "imap://" or "//".
func (p *parser) networkPath(u *URL) error {
	srv, err := p.server()
	if err != nil {
		return err
	}
	u.Server = srv
	if p.atEnd() || p.s[p.pos:] == "/" {
		return fmt.Errorf("%w: URL names a server", ErrNotMessage)
	}
	if !p.literal("/") {
		return p.errf("expected '/' after the server")
	}
	return p.messagePart(u)
}

// messagePart parses imessagepart [iurlauth] (RFC 5092 §11), the path of
// an absolute URL after its "/":
// enc-mailbox [uidvalidity] "/;UID=" nz-number [isection] [ipartial].
func (p *parser) messagePart(u *URL) error {
	raw := p.span(isBchar)
	switch {
	case p.peekIs('?'):
		return fmt.Errorf("%w: URL names a search", ErrNotMessage)
	case p.atEnd():
		return fmt.Errorf("%w: URL names a mailbox", ErrNotMessage)
	case !p.peekIs(';'):
		return p.errf("invalid character %q", p.s[p.pos])
	}
	hasValidity := false
	if p.literal(";UIDVALIDITY=") {
		v, err := p.nzNumber()
		if err != nil {
			return err
		}
		u.UIDValidity, hasValidity = v, true
		if p.atEnd() || p.peekIs('?') {
			return fmt.Errorf("%w: URL names a mailbox", ErrNotMessage)
		}
		if !p.literal("/") {
			return p.errf("expected '/' after UIDVALIDITY")
		}
	} else {
		// The "/" of iuid ended up in the mailbox span.
		if !strings.HasSuffix(raw, "/") {
			return p.errf("expected \"/;UID=\"")
		}
		raw = raw[:len(raw)-1]
	}
	mbox, err := decodeMailbox(raw, hasValidity)
	if err != nil {
		return err
	}
	u.Mailbox = mbox
	if !p.literal(";UID=") {
		return p.errf("expected \";UID=\"")
	}
	if u.UID, err = p.nzNumber(); err != nil {
		return err
	}
	if p.literal("/;SECTION=") {
		if err := p.section(u); err != nil {
			return err
		}
	}
	if p.literal("/;PARTIAL=") {
		if err := p.partial(u); err != nil {
			return err
		}
	}
	if p.peekIs(';') {
		if err := p.urlauth(u); err != nil {
			return err
		}
	}
	return p.end()
}

// relative parses the relative-path references that start with a
// parameter (imsg-or-part of RFC 5092 §11 without imailbox-ref):
// ";UID=" nz-number ["/;SECTION=" s] ["/;PARTIAL=" p], ";SECTION=" s
// ["/;PARTIAL=" p], or ";PARTIAL=" p.
func (p *parser) relative(u *URL) error {
	switch {
	case p.literal(";UID="):
		n, err := p.nzNumber()
		if err != nil {
			return err
		}
		u.UID = n
		if p.literal("/;SECTION=") {
			if err := p.section(u); err != nil {
				return err
			}
		}
		if p.literal("/;PARTIAL=") {
			if err := p.partial(u); err != nil {
				return err
			}
		}
	case p.literal(";SECTION="):
		if err := p.section(u); err != nil {
			return err
		}
		if p.literal("/;PARTIAL=") {
			if err := p.partial(u); err != nil {
				return err
			}
		}
	case p.literal(";PARTIAL="):
		if err := p.partial(u); err != nil {
			return err
		}
	default:
		return p.errf("unknown parameter")
	}
	return p.end()
}

func (p *parser) end() error {
	if !p.atEnd() {
		return p.errf("unexpected %q", p.s[p.pos:])
	}
	return nil
}

// section parses enc-section = 1*bchar after ";SECTION=". A "/" may occur
// inside (bchar), so a trailing "/" followed by ";PARTIAL=" belongs to
// ipartial.
func (p *parser) section(u *URL) error {
	raw := p.span(isBchar)
	if strings.HasSuffix(raw, "/") && hasPrefixFold(p.s[p.pos:], ";PARTIAL=") {
		raw = raw[:len(raw)-1]
		p.pos--
	}
	if raw == "" {
		return p.errf("empty section")
	}
	sec, err := decode(raw)
	if err != nil {
		return err
	}
	if !utf8.ValidString(sec) || hasCTL(sec) {
		return fmt.Errorf("%w: invalid character in section", ErrSyntax)
	}
	u.Section = sec
	return nil
}

// partial parses partial-range = number ["." nz-number].
func (p *parser) partial(u *URL) error {
	off, err := p.number()
	if err != nil {
		return err
	}
	pr := &Partial{Offset: off}
	if p.literal(".") {
		if pr.Length, err = p.nzNumber(); err != nil {
			return err
		}
	}
	u.Partial = pr
	return nil
}

// urlauth takes iurlauth = [";EXPIRE=" date-time] ";URLAUTH=" access
// iua-verifier as one opaque component: it must end the URL (RFC 5092
// §6.1.2) and postbus does not implement URLAUTH, so only its presence
// matters.
func (p *parser) urlauth(u *URL) error {
	rest := p.s[p.pos:]
	if !hasPrefixFold(rest, ";EXPIRE=") && !hasPrefixFold(rest, ";URLAUTH=") {
		return p.errf("unknown parameter")
	}
	if !strings.Contains(strings.ToUpper(rest), ";URLAUTH=") {
		return p.errf(";EXPIRE= without ;URLAUTH=")
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !isBchar(c) && c != ';' {
			return p.errf("invalid character %q", c)
		}
	}
	u.URLAuth = rest
	p.pos = len(p.s)
	return nil
}

// number reads 1*DIGIT as an IMAP number (32 bits, RFC 9051 §9).
func (p *parser) number() (uint32, error) {
	start := p.pos
	var n uint64
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		n = n*10 + uint64(p.s[p.pos]-'0')
		p.pos++
		if n > 1<<32-1 {
			return 0, p.errf("number out of range")
		}
	}
	if p.pos == start {
		return 0, p.errf("expected a number")
	}
	return uint32(n), nil
}

// nzNumber reads nz-number = digit-nz *DIGIT.
func (p *parser) nzNumber() (uint32, error) {
	if p.peekIs('0') {
		return 0, p.errf("expected a non-zero number")
	}
	return p.number()
}

// server parses iserver = [iuserinfo "@"] host [":" port], up to the
// first "/" (or the end).
func (p *parser) server() (*Server, error) {
	end := strings.IndexAny(p.s[p.pos:], "/?#")
	if end < 0 {
		end = len(p.s) - p.pos
	}
	auth := p.s[p.pos : p.pos+end]
	srv := &Server{}
	if i := strings.IndexByte(auth, '@'); i >= 0 {
		if err := parseUserinfo(auth[:i], srv); err != nil {
			return nil, err
		}
		auth = auth[i+1:]
	}
	if err := parseHostPort(auth, srv); err != nil {
		return nil, err
	}
	p.pos += end
	return srv, nil
}

// parseUserinfo parses iuserinfo = enc-user [iauth] / [enc-user] iauth,
// iauth = ";AUTH=" ("*" / enc-auth-type).
func parseUserinfo(s string, srv *Server) error {
	user, auth, hasAuth := s, "", false
	if i := strings.IndexByte(s, ';'); i >= 0 {
		if !hasPrefixFold(s[i:], ";AUTH=") {
			return fmt.Errorf("%w: invalid user name", ErrSyntax)
		}
		user, auth, hasAuth = s[:i], s[i+len(";AUTH="):], true
	}
	if user == "" && !hasAuth {
		return fmt.Errorf("%w: empty user name", ErrSyntax)
	}
	if user != "" {
		if !all(user, isAchar) {
			return fmt.Errorf("%w: invalid character in user name", ErrSyntax)
		}
		u, err := decode(user)
		if err != nil {
			return err
		}
		if u == "" || !utf8.ValidString(u) || hasCTL(u) {
			return fmt.Errorf("%w: invalid user name", ErrSyntax)
		}
		srv.User = u
	}
	if hasAuth {
		// RFC 5092 §3.2: "*" is literal, never percent-encoded.
		if auth != "*" {
			if auth == "" || !all(auth, isAchar) {
				return fmt.Errorf("%w: invalid authentication mechanism", ErrSyntax)
			}
			a, err := decode(auth)
			if err != nil {
				return err
			}
			if hasCTL(a) {
				return fmt.Errorf("%w: invalid authentication mechanism", ErrSyntax)
			}
			auth = a
		}
		srv.Auth = auth
	}
	return nil
}

// parseHostPort parses host [":" port] (RFC 3986 §3.2.2, §3.2.3).
func parseHostPort(s string, srv *Server) error {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return fmt.Errorf("%w: unterminated IP literal", ErrSyntax)
		}
		host, port = s[:i+1], s[i+1:]
		if !all(host[1:i], isIPLiteralChar) || i == 1 {
			return fmt.Errorf("%w: invalid IP literal", ErrSyntax)
		}
		if port != "" && port[0] != ':' {
			return fmt.Errorf("%w: junk after IP literal", ErrSyntax)
		}
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i:]
	}
	if port != "" {
		digits := port[1:]
		if len(digits) > 5 || !all(digits, isDigit) {
			return fmt.Errorf("%w: invalid port", ErrSyntax)
		}
		n := 0
		for i := 0; i < len(digits); i++ {
			n = n*10 + int(digits[i]-'0')
		}
		if n > 65535 {
			return fmt.Errorf("%w: invalid port", ErrSyntax)
		}
		srv.Port = n
	}
	if !strings.HasPrefix(host, "[") {
		if host == "" || !all(host, isRegNameChar) {
			return fmt.Errorf("%w: invalid host", ErrSyntax)
		}
		h, err := decode(host)
		if err != nil {
			return err
		}
		if !utf8.ValidString(h) || hasCTL(h) {
			return fmt.Errorf("%w: invalid host", ErrSyntax)
		}
		host = h
	}
	srv.Host = strings.ToLower(host)
	return nil
}

// decodeMailbox removes dot segments from the raw enc-mailbox (RFC 3986
// §5.2.4; the last segment is not one when UIDVALIDITY follows it, RFC
// 5092 §9.1) and percent-decodes it into a UTF-8 name.
func decodeMailbox(raw string, lastIsNamed bool) (string, error) {
	segs := strings.Split(raw, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		switch {
		case i == len(segs)-1 && lastIsNamed:
			out = append(out, s)
		case s == ".":
		case s == "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	name, err := decode(strings.Join(out, "/"))
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("%w: empty mailbox name", ErrSyntax)
	}
	if !utf8.ValidString(name) || hasCTL(name) {
		return "", fmt.Errorf("%w: mailbox name is not UTF-8 text", ErrSyntax)
	}
	return name, nil
}

// decode undoes percent-encoding (RFC 3986 §2.1).
func decode(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", fmt.Errorf("%w: invalid percent-encoding", ErrSyntax)
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	return string(b), nil
}

// hasScheme reports whether s starts with scheme ":" (RFC 3986 §3.1)
// before any "/", ";" or "?".
func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			return i > 0
		case isAlpha(c), i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasCTL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func all(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
