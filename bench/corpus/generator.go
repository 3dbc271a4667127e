package corpus

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"math"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"net/url"
	"strings"
	"time"
)

// ErrCorpus is the sentinel wrapped by every error of this package.
var ErrCorpus = errors.New("corpus")

// Config sets up a Generator. The zero value of each field picks the
// default documented beside it.
type Config struct {
	Seed uint64
	// Messages per mailbox (per user).
	Messages int
	// MaxAttachment caps one attachment's decoded size (default 4 MiB).
	// The tail of the size distribution reaches it.
	MaxAttachment int
	// LargeRate is the fraction of multipart/mixed messages whose
	// attachment is drawn from the long tail (default 0.05).
	LargeRate float64
	// LargeMin is the smallest tail attachment (default 256 KiB); the tail
	// is log-uniform between LargeMin and MaxAttachment. Setting both to
	// 25 MiB and LargeRate to 1 makes every multipart/mixed message carry
	// a 25 MiB attachment (a memory test of streaming FETCH).
	LargeMin int
}

// Generator renders the synthetic corpus. It is safe for concurrent use.
type Generator struct{ cfg Config }

// NewGenerator validates cfg and fills in defaults.
func NewGenerator(cfg Config) (*Generator, error) {
	if cfg.Messages < 0 {
		return nil, fmt.Errorf("%w: negative message count %d", ErrCorpus, cfg.Messages)
	}
	if cfg.MaxAttachment == 0 {
		cfg.MaxAttachment = 4 << 20
	}
	if cfg.MaxAttachment < 1024 {
		return nil, fmt.Errorf("%w: MaxAttachment %d below 1 KiB", ErrCorpus, cfg.MaxAttachment)
	}
	if cfg.LargeRate == 0 {
		cfg.LargeRate = 0.05
	}
	if cfg.LargeRate < 0 || cfg.LargeRate > 1 {
		return nil, fmt.Errorf("%w: LargeRate %v outside [0,1]", ErrCorpus, cfg.LargeRate)
	}
	if cfg.LargeMin == 0 {
		cfg.LargeMin = min(256<<10, cfg.MaxAttachment)
	}
	if cfg.LargeMin < 0 || cfg.LargeMin > cfg.MaxAttachment {
		return nil, fmt.Errorf("%w: LargeMin %d outside [0, MaxAttachment %d]", ErrCorpus, cfg.LargeMin, cfg.MaxAttachment)
	}
	return &Generator{cfg: cfg}, nil
}

// Config returns the effective configuration.
func (g *Generator) Config() Config { return g.cfg }

// Version changes whenever the generator's output for a given Config
// changes (TestGolden guards it), so that load markers made by an older
// generator no longer match and mailboxes get reloaded.
const Version = 1

// ID names the corpus for load markers: two generators with one ID
// produce the same mail.
func (g *Generator) ID() string {
	c := g.cfg
	return fmt.Sprintf("v%d-s%d-n%d-a%d-l%d-r%g", Version, c.Seed, c.Messages, c.MaxAttachment, c.LargeMin, c.LargeRate)
}

// Len is the number of messages per mailbox.
func (g *Generator) Len() int { return g.cfg.Messages }

// Message renders message i of user u (CRLF line endings).
func (g *Generator) Message(u, i int) (Message, error) {
	if i < 0 || i >= g.cfg.Messages {
		return Message{}, fmt.Errorf("%w: message %d out of range [0,%d)", ErrCorpus, i, g.cfg.Messages)
	}
	m := g.Meta(i)
	raw := g.render(u, m)
	var flags []string
	if m.Seen {
		flags = append(flags, `\Seen`)
	}
	if m.Flagged {
		flags = append(flags, `\Flagged`)
	}
	return Message{Raw: raw, Date: m.Date, Flags: flags}, nil
}

// messageID is stable across users so threads resolve in every mailbox.
func (g *Generator) messageID(i int) string {
	return fmt.Sprintf("<m%d.s%d@bench.postbus.test>", i, g.cfg.Seed)
}

type writer struct{ bytes.Buffer }

func (w *writer) line(format string, a ...any) {
	fmt.Fprintf(w, format, a...)
	w.WriteString("\r\n")
}

// encodeWord applies RFC 2047 Q- or B-encoding to non-ASCII text.
func encodeWord(r *rand.Rand, s string) string {
	if isASCII(s) {
		return s
	}
	if r.IntN(2) == 0 {
		return mime.QEncoding.Encode("utf-8", s)
	}
	return mime.BEncoding.Encode("utf-8", s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func address(r *rand.Rand, lang language, token string) string {
	name := lang.names[r.IntN(len(lang.names))]
	first := strings.ToLower(strings.Fields(asciiFold(name))[0])
	if first == "" {
		first = "user"
	}
	addr := fmt.Sprintf("%s.%s@%s", first, token, domains[r.IntN(len(domains))])
	return fmt.Sprintf("%s <%s>", encodeWord(r, name), addr)
}

// asciiFold keeps the ASCII letters of s (or "user" for scripts without any).
func asciiFold(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 0x80 {
			b.WriteRune(c)
		}
	}
	if strings.TrimSpace(b.String()) == "" {
		return "user"
	}
	return b.String()
}

func (g *Generator) render(u int, m Meta) []byte {
	r := renderRand(g.cfg.Seed, m.Index)
	lang := languages[m.Lang]
	w := &writer{}
	w.Grow(4096)
	w.line("Return-Path: <bounce-%d@%s>", m.Index, domains[0])
	w.line("Delivered-To: bench-user-%d@bench.postbus.test", u)
	w.line("Received: from mx%d.example.net (mx%d.example.net [192.0.2.%d]) by mail.bench.postbus.test; %s",
		m.Index%7, m.Index%7, 1+m.Index%250, m.Date.Add(3*time.Second).Format(time.RFC1123Z))
	w.line("Message-ID: %s", g.messageID(m.Index))
	w.line("Date: %s", m.Date.Format(time.RFC1123Z))
	w.line("From: %s", address(r, lang, FromToken(m.Sender)))
	w.line("To: %s", address(r, lang, ToToken(m.Recipient)))
	if r.IntN(4) == 0 {
		w.line("Cc: %s", address(r, languages[0], "cc"+fmt.Sprint(r.IntN(9))))
	}
	// The thread root's language and phrase make the subject, so every
	// message of a thread shares it (with "Re: " on replies).
	tr := rand.New(rand.NewPCG(g.cfg.Seed, uint64(m.Thread)<<1|1))
	tr.IntN(Subjects) // the subject token draw, see Meta
	tlang := languages[pickWeighted(tr, languageWeights)]
	subject := tlang.subjects[tr.IntN(len(tlang.subjects))] + " " + SubjectToken(m.Subject)
	if m.Parent >= 0 {
		subject = "Re: " + subject
	}
	if m.List {
		subject = "[" + listNames[m.Thread%len(listNames)] + "] " + subject
	}
	w.line("Subject: %s", encodeWord(r, subject))
	if m.Parent >= 0 {
		w.line("In-Reply-To: %s", g.messageID(m.Parent))
		refs := make([]string, 0, threadLen)
		for p := m.Thread * threadLen; p < m.Index; p++ {
			refs = append(refs, g.messageID(p))
		}
		w.line("References: %s", strings.Join(refs, "\r\n "))
	}
	if m.List {
		l := listNames[m.Thread%len(listNames)]
		w.line("List-Id: %s development list <%s.lists.example.org>", strings.ToUpper(l[:1])+l[1:], l)
		w.line("List-Unsubscribe: <mailto:%s-leave@lists.example.org>, <https://lists.example.org/%s/leave>", l, l)
		w.line("List-Post: <mailto:%s@lists.example.org>", l)
		w.line("Precedence: list")
	}
	w.line("X-Mailer: postbus-bench corpus")
	w.line("MIME-Version: 1.0")

	text := bodyText(r, lang, m)
	switch m.Kind {
	case Plain:
		writeTextPart(w, r, "text/plain", text)
	case Alternative:
		writeAlternative(w, r, lang, text)
	case Mixed:
		boundary := fmt.Sprintf("mixed-%d-%x", m.Index, r.Uint32())
		w.line("Content-Type: multipart/mixed; boundary=\"%s\"", boundary)
		w.line("")
		w.line("This is a multi-part message in MIME format.")
		w.line("--%s", boundary)
		if r.IntN(2) == 0 {
			writeTextPart(w, r, "text/plain", text)
		} else {
			writeAlternative(w, r, lang, text)
		}
		for n := 1 + r.IntN(2); n > 0; n-- {
			w.line("--%s", boundary)
			g.writeAttachment(w, r, lang)
		}
		w.line("--%s--", boundary)
	}
	return w.Bytes()
}

// bodyText is the message's text: paragraphs of filler with the body token
// in one of them, and a quote (without tokens) on replies.
func bodyText(r *rand.Rand, lang language, m Meta) string {
	// Log-normal length: median ~4 KB, most between 1 and 20 KB.
	target := int(math.Exp(r.NormFloat64()*0.8 + math.Log(4000)))
	target = max(300, min(target, 200_000))
	var b strings.Builder
	b.WriteString(greeting(lang))
	b.WriteString("\n\n")
	tokenAt := r.IntN(max(1, target/2))
	placed := false
	for b.Len() < target {
		for s := 0; s < 3+r.IntN(4); s++ {
			b.WriteString(lang.sentences[r.IntN(len(lang.sentences))])
			b.WriteString(" ")
			if !placed && b.Len() >= tokenAt {
				b.WriteString("Ref ")
				b.WriteString(BodyToken(m.Body))
				b.WriteString(". ")
				placed = true
			}
		}
		b.WriteString("\n\n")
	}
	if !placed {
		b.WriteString("Ref " + BodyToken(m.Body) + ".\n\n")
	}
	if m.Parent >= 0 {
		b.WriteString("On an earlier day, someone wrote:\n")
		for range 3 + r.IntN(6) {
			b.WriteString("> ")
			b.WriteString(lang.sentences[r.IntN(len(lang.sentences))])
			b.WriteString("\n")
		}
	}
	b.WriteString("\n-- \n")
	b.WriteString(lang.names[r.IntN(len(lang.names))])
	b.WriteString("\n")
	return b.String()
}

func greeting(lang language) string {
	switch lang.code {
	case "de":
		return "Hallo zusammen,"
	case "fr":
		return "Bonjour,"
	case "es":
		return "Hola,"
	case "ru":
		return "Здравствуйте,"
	case "ja":
		return "各位"
	case "zh":
		return "大家好，"
	case "el":
		return "Γεια σας,"
	case "pl":
		return "Cześć,"
	}
	return "Hi all,"
}

// writeTextPart writes headers and body of one text part; text uses "\n".
func writeTextPart(w *writer, r *rand.Rand, ctype, text string) {
	crlf := strings.ReplaceAll(text, "\n", "\r\n")
	if isASCII(text) {
		w.line("Content-Type: %s; charset=us-ascii", ctype)
		w.line("Content-Transfer-Encoding: 7bit")
		w.line("")
		w.WriteString(crlf)
		w.line("")
		return
	}
	w.line("Content-Type: %s; charset=utf-8", ctype)
	switch x := r.IntN(20); {
	case x < 12:
		w.line("Content-Transfer-Encoding: quoted-printable")
		w.line("")
		qp := quotedprintable.NewWriter(w)
		qp.Write([]byte(crlf))
		qp.Close()
		w.line("")
	case x < 17:
		w.line("Content-Transfer-Encoding: base64")
		w.line("")
		writeBase64(w, []byte(crlf))
	default:
		w.line("Content-Transfer-Encoding: 8bit")
		w.line("")
		w.WriteString(crlf)
		w.line("")
	}
}

func writeAlternative(w *writer, r *rand.Rand, lang language, text string) {
	boundary := fmt.Sprintf("alt-%x", r.Uint64())
	w.line("Content-Type: multipart/alternative; boundary=\"%s\"", boundary)
	w.line("")
	w.line("--%s", boundary)
	writeTextPart(w, r, "text/plain", text)
	w.line("--%s", boundary)
	var h strings.Builder
	h.WriteString("<!DOCTYPE html>\n<html lang=\"" + lang.code + "\"><head><meta charset=\"utf-8\"></head><body>\n")
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		h.WriteString("<p>")
		h.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n"))
		h.WriteString("</p>\n")
	}
	h.WriteString("</body></html>\n")
	writeTextPart(w, r, "text/html", h.String())
	w.line("--%s--", boundary)
}

func (g *Generator) writeAttachment(w *writer, r *rand.Rand, lang language) {
	at := attachmentTypes[r.IntN(len(attachmentTypes))]
	var size int
	if r.Float64() < g.cfg.LargeRate {
		// The long tail: LargeMin up to MaxAttachment, log-uniform.
		lo, hi := math.Log(float64(g.cfg.LargeMin)), math.Log(float64(g.cfg.MaxAttachment))
		size = int(math.Exp(lo + r.Float64()*(hi-lo)))
	} else {
		size = int(math.Exp(r.NormFloat64()*0.9 + math.Log(12_000)))
	}
	size = max(64, min(size, g.cfg.MaxAttachment))
	name := fmt.Sprintf("%s-%d.%s", lang.subjects[r.IntN(len(lang.subjects))], r.IntN(100), at.ext)
	w.line("Content-Type: %s; name=\"%s\"", at.ctype, mime.QEncoding.Encode("utf-8", name))
	if isASCII(name) {
		w.line("Content-Disposition: attachment; filename=\"%s\"", name)
	} else {
		// RFC 2231 extended parameter for the non-ASCII file name.
		w.line("Content-Disposition: attachment;\r\n filename*=utf-8''%s", url.PathEscape(name))
	}
	w.line("Content-Transfer-Encoding: base64")
	w.line("")
	data := make([]byte, size)
	for i := 0; i+8 <= len(data); i += 8 {
		v := r.Uint64()
		for k := 0; k < 8; k++ {
			data[i+k] = byte(v >> (8 * k))
		}
	}
	writeBase64(w, data)
}

// writeBase64 writes data in 76-character lines (RFC 2045 §6.8).
func writeBase64(w *writer, data []byte) {
	enc := base64.StdEncoding
	buf := make([]byte, enc.EncodedLen(len(data)))
	enc.Encode(buf, data)
	for len(buf) > 76 {
		w.Write(buf[:76])
		w.WriteString("\r\n")
		buf = buf[76:]
	}
	w.Write(buf)
	w.WriteString("\r\n")
}
