package message

import (
	"bytes"
	"encoding/base64"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// wordDecoder decodes RFC 2047 encoded words in any charset go-message
// knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// decodeText decodes encoded words in an unstructured header value; on
// error it keeps the raw text. The result is valid UTF-8 (raw 8-bit
// headers that are not UTF-8 are read as Latin-1, their most common
// charset).
func decodeText(s string) string {
	if !strings.Contains(s, "=?") {
		return validUTF8(s)
	}
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return validUTF8(d)
	}
	// DecodeHeader gives up on the whole value for one word it cannot
	// convert (an unknown charset); decode the others anyway and keep
	// that one as written (RFC 2047 §6.3 lets a word that cannot be
	// decoded be shown as is). The Dovecot differential found this:
	// SEARCH SUBJECT and SORT saw no decoded text at all.
	var b strings.Builder
	last, prevDecoded := 0, false
	for _, m := range encodedWord.FindAllStringIndex(s, -1) {
		between, word := s[last:m[0]], s[m[0]:m[1]]
		d, err := wordDecoder.Decode(word)
		// RFC 2047 §6.2: white space between two encoded words is
		// not displayed.
		if !(prevDecoded && err == nil && strings.TrimSpace(between) == "") {
			b.WriteString(between)
		}
		if err != nil {
			b.WriteString(word)
		} else {
			b.WriteString(d)
		}
		last, prevDecoded = m[1], err == nil
	}
	b.WriteString(s[last:])
	return validUTF8(b.String())
}

// encodedWord matches an RFC 2047 §2 encoded-word.
var encodedWord = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	r := make([]rune, 0, len(s))
	for i := 0; i < len(s); i++ {
		r = append(r, rune(s[i]))
	}
	return string(r)
}

// decodeAddresses renders an address list decoded, for SORT and SEARCH:
// "Name <mailbox@host>, ..."; groups contribute their members.
func decodeAddresses(l []addr) string {
	var b strings.Builder
	for _, a := range l {
		if a.host == nil {
			continue // group markers
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if a.name != nil {
			b.WriteString(decodeText(*a.name))
			b.WriteString(" <")
		}
		b.WriteString(validUTF8(*a.mailbox))
		b.WriteByte('@')
		b.WriteString(validUTF8(*a.host))
		if a.name != nil {
			b.WriteByte('>')
		}
	}
	return b.String()
}

var msgIDRe = regexp.MustCompile(`<[^<>]*>`)

// msgIDs returns the msg-ids of a field (RFC 5322 §3.6.4) without their
// angle brackets. A value with no brackets at all counts as one id.
func msgIDs(v string) []string {
	var ids []string
	for _, m := range msgIDRe.FindAllString(v, -1) {
		if id := strings.TrimSpace(m[1 : len(m)-1]); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		if v = strings.TrimSpace(v); v != "" && !strings.ContainsAny(v, " \t<>") {
			ids = append(ids, v)
		}
	}
	return ids
}

var dateComment = regexp.MustCompile(`\([^()]*\)`)

// dateLayouts are what net/mail does not accept but real mail carries.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700 MST",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	time.RFC3339,
}

// parseDate reads a Date: value leniently (RFC 5322 §3.3 with obsolete
// forms). ok is false when nothing fits.
func parseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if t, err := mail.ParseDate(v); err == nil {
		return t, true
	}
	v = strings.Join(strings.Fields(dateComment.ReplaceAllString(v, "")), " ")
	if t, err := mail.ParseDate(v); err == nil {
		return t, true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

const previewChars = 200 // RFC 8970 §3.1: at most 256; 200 like Dovecot

// makePreview turns the captured start of a text part into PREVIEW text
// (RFC 8970): transfer-decoded, converted to UTF-8, HTML stripped,
// white space collapsed, at most previewChars characters.
func makePreview(n *node, raw []byte) string {
	if n == nil || len(raw) == 0 {
		return ""
	}
	data := decodePrefix(n.part.TransferEncoding, raw)
	if cs := n.part.Charset; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		if r, err := charset.Reader(cs, bytes.NewReader(data)); err == nil {
			if d, err := io.ReadAll(r); err == nil {
				data = d
			}
		}
	}
	text := validUTF8(string(data))
	if n.sub == "html" {
		text = stripHTML(text)
	}
	var b strings.Builder
	count, space := 0, false
	for _, c := range text {
		if unicode.IsSpace(c) || unicode.IsControl(c) {
			space = b.Len() > 0
			continue
		}
		if c == utf8.RuneError {
			continue
		}
		if space {
			if count++; count > previewChars {
				break
			}
			b.WriteByte(' ')
			space = false
		}
		if count++; count > previewChars {
			break
		}
		b.WriteRune(c)
	}
	return strings.TrimRight(b.String(), " ")
}

// decodePrefix transfer-decodes the start of a body; the data may stop
// mid-line, so errors just end the decoded text.
func decodePrefix(enc string, raw []byte) []byte {
	switch enc {
	case "base64":
		clean := make([]byte, 0, len(raw))
		for _, c := range raw {
			if isBase64(c) {
				clean = append(clean, c)
			}
		}
		clean = clean[:len(clean)/4*4]
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, _ := base64.StdEncoding.Decode(out, clean)
		return out[:n]
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		return out
	}
	return raw
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

var (
	htmlDrop = regexp.MustCompile(`(?is)<(script|style|head|title)\b.*?</(script|style|head|title)\s*>`)
	htmlTag  = regexp.MustCompile(`(?s)<!--.*?-->|<[^>]*>`)
)

// stripHTML reduces HTML to its text, well enough for a preview.
func stripHTML(s string) string {
	s = htmlDrop.ReplaceAllString(s, " ")
	s = htmlTag.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}
