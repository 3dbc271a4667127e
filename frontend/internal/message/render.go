package message

import (
	"bytes"
	"strings"
	"sync"

	"github.com/postbus/postbus/frontend/internal/wire"
)

// render writes IMAP wire structures through wire.Encoder, so quoting and
// literals follow the same rules as every other response. UTF8 stays off:
// non-ASCII strings become literals, which every client accepts.
type render struct {
	buf bytes.Buffer
	e   *wire.Encoder
}

// renders recycles renderers: the encoder's buffer is 32 KiB.
var renders = sync.Pool{New: func() any {
	r := &render{}
	r.e = wire.NewEncoder(&r.buf)
	return r
}}

func getRender() *render { return renders.Get().(*render) }

func putRender(r *render) {
	r.buf.Reset()
	r.e.Reset(&r.buf)
	renders.Put(r)
}

// bytes flushes the encoder and returns a copy of what was rendered.
func (r *render) bytes() []byte {
	_ = r.e.Flush() // a bytes.Buffer never fails
	b := bytes.Clone(r.buf.Bytes())
	r.buf.Reset()
	return b
}

func (r *render) raw(s string) { r.e.Raw(s) }

func (r *render) str(s string) { r.e.String(strings.ReplaceAll(s, "\x00", "")) }

func (r *render) nstr(s *string) {
	if s == nil {
		r.raw("NIL")
		return
	}
	r.str(*s)
}

// field writes the value of the first field called name as written (see
// header.getRaw), NIL when absent.
func (r *render) field(h *header, name string) {
	if v, ok := h.getRaw(name, false); ok {
		r.str(v)
		return
	}
	r.raw("NIL")
}

// contentField writes a Content-* field of n as field does, NIL when n is
// a message without MIME-Version and Content-Type (see node.notMIME).
func (r *render) contentField(n *node, name string) {
	if n.notMIME {
		r.raw("NIL")
		return
	}
	r.field(&n.hdr, name)
}

// envelope writes ENVELOPE (RFC 9051 §7.5.2) from a header block.
func (r *render) envelope(h *header) {
	r.raw("(")
	r.lastField(h, "Date", false)
	r.raw(" ")
	r.lastField(h, "Subject", true)
	from := addresses(h, "From")
	sender, replyTo := addresses(h, "Sender"), addresses(h, "Reply-To")
	// "If the Sender or Reply-To lines are absent in the [RFC5322] header,
	// or are present but empty, the server sets the corresponding member
	// of the envelope to be the same value as the from member."
	if len(sender) == 0 {
		sender = from
	}
	if len(replyTo) == 0 {
		replyTo = from
	}
	for _, l := range [][]addr{from, sender, replyTo, addresses(h, "To"), addresses(h, "Cc"), addresses(h, "Bcc")} {
		r.raw(" ")
		r.addrList(l)
	}
	r.raw(" ")
	r.lastField(h, "In-Reply-To", false)
	r.raw(" ")
	r.lastField(h, "Message-ID", false)
	r.raw(")")
}

// lastField writes the last field called name, NIL when absent. RFC 5322
// §3.6 allows these fields once; when a message repeats one, the last
// wins, as in Dovecot. The value is sent as written (header.getRaw): a
// msg-id folded onto the next line keeps the white space of that line,
// which RFC 5322 §3.6.4 makes CFWS around the msg-id, part of the field
// (the ENVELOPE string is the field, RFC 9051 §7.5.2, not the msg-id).
// Text for humans (the subject) has its white space runs collapsed to one
// space, as RFC 5322 §3.2.2 reads folding white space and Dovecot sends it.
func (r *render) lastField(h *header, name string, human bool) {
	v, ok := h.getRaw(name, true)
	if !ok {
		r.raw("NIL")
		return
	}
	if human {
		v = collapseSpace(v)
	}
	r.str(v)
}

// collapseSpace replaces every run of white space (SP, HTAB, CR, LF) by one
// space and trims both ends.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\r', '\n':
			space = b.Len() > 0
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// addresses parses every field called name (some messages repeat To:),
// each as written (trailing white space can decide how Dovecot reads a
// malformed address, and postbus reads it the same way).
func addresses(h *header, name string) []addr {
	var out []addr
	for _, v := range h.getAllRaw(name) {
		out = append(out, parseAddressList(v)...)
	}
	return out
}

func (r *render) addrList(l []addr) {
	if len(l) == 0 {
		r.raw("NIL")
		return
	}
	r.raw("(")
	for _, a := range l {
		r.raw("(")
		if a.name != nil {
			r.str(collapseSpace(*a.name))
		} else {
			r.raw("NIL")
		}
		r.raw(" ")
		r.nstr(a.adl)
		r.raw(" ")
		r.nstr(a.mailbox)
		r.raw(" ")
		r.nstr(a.host)
		r.raw(")")
	}
	r.raw(")")
}

// body writes BODYSTRUCTURE (ext) or BODY (!ext) for n (RFC 9051 §7.5.2,
// §9 body).
func (r *render) body(n *node, ext bool) {
	r.raw("(")
	if n.typ == "multipart" {
		for _, c := range n.children {
			r.body(c, ext)
		}
		r.raw(" ")
		r.str(n.sub)
		if ext {
			r.raw(" ")
			r.params(n.params)
			r.raw(" ")
			r.disposition(n)
			r.raw(" ")
			r.language(n)
			r.raw(" ")
			r.contentField(n, "Content-Location")
		}
		r.raw(")")
		return
	}
	r.str(n.typ)
	r.raw(" ")
	r.str(n.sub)
	r.raw(" ")
	r.params(n.params)
	r.raw(" ")
	r.contentField(n, "Content-ID")
	r.raw(" ")
	r.contentField(n, "Content-Description")
	r.raw(" ")
	if v := n.part.TransferEncoding; validCTE(v) && !n.notMIME {
		// Lower case: Outlook for iOS is known to choke on upper-case
		// encodings (go-imap's server notes the same).
		r.str(v)
	} else {
		r.str("7bit")
	}
	r.raw(" ")
	r.e.Number(n.part.BodyLength)
	switch {
	case n.msg != nil:
		r.raw(" ")
		r.envelope(&n.msg.hdr)
		r.raw(" ")
		r.body(n.msg, ext)
		r.raw(" ")
		r.e.Number(uint64(n.part.Lines))
	case n.typ == "text":
		r.raw(" ")
		r.e.Number(uint64(n.part.Lines))
	}
	if ext {
		r.raw(" ")
		r.contentField(n, "Content-MD5") // body-fld-md5
		r.raw(" ")
		r.disposition(n)
		r.raw(" ")
		r.language(n)
		r.raw(" ")
		r.contentField(n, "Content-Location")
	}
	r.raw(")")
}

// params writes body-fld-param: NIL or a list of name value pairs.
func (r *render) params(ps []param) {
	if len(ps) == 0 {
		r.raw("NIL")
		return
	}
	r.raw("(")
	for i, p := range ps {
		if i > 0 {
			r.raw(" ")
		}
		r.str(p.name)
		r.raw(" ")
		r.str(p.value)
	}
	r.raw(")")
}

// disposition writes body-fld-dsp from Content-Disposition (RFC 2183).
func (r *render) disposition(n *node) {
	v, ok := n.hdr.get("Content-Disposition")
	if !ok || n.notMIME {
		r.raw("NIL")
		return
	}
	d, ps, ok := parseDisposition(v)
	if !ok {
		r.raw("NIL")
		return
	}
	r.raw("(")
	r.str(d)
	r.raw(" ")
	r.params(ps)
	r.raw(")")
}

// language writes body-fld-lang from Content-Language (RFC 3282), always
// in the list form: the atoms of the comma-separated list, up to the first
// thing that is not one (as Dovecot reads it).
func (r *render) language(n *node) {
	v, _ := n.hdr.get("Content-Language")
	if n.notMIME {
		v = ""
	}
	var tags []string
	l := &lexer{s: v}
	l.skipCFWS()
	for {
		var b strings.Builder
		if l.atom(&b) == broken {
			break
		}
		tags = append(tags, b.String())
		if l.peek() != ',' {
			break
		}
		l.pos++
		l.skipCFWS()
	}
	if len(tags) == 0 {
		r.raw("NIL")
		return
	}
	r.raw("(")
	for i, t := range tags {
		if i > 0 {
			r.raw(" ")
		}
		r.str(t)
	}
	r.raw(")")
}
