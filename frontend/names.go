package frontend

import (
	"strings"
	"unicode/utf8"

	"github.com/postbus/postbus/frontend/internal/wire"
)

// delim is the hierarchy separator of every postbus mailbox name.
const delim = "/"

// mailboxFromWire decodes a mailbox name as the client sent it: modified
// UTF-7 for IMAP4rev1 clients, UTF-8 after ENABLE IMAP4rev2 (RFC 9051
// §5.1) or UTF8=ACCEPT (RFC 6855 §3). INBOX is case-insensitive (RFC 9051 §5.1), so any spelling of it,
// alone or as the first level, becomes "INBOX"; a trailing separator is
// dropped (RFC 9051 §6.3.4).
func (c *conn) mailboxFromWire(raw string) (string, error) {
	name, err := wire.DecodeMailboxName(lenientUTF8(raw, c.utf8Mode()), c.utf8Mode())
	if err != nil {
		return "", bad("CLIENTBUG", "invalid mailbox name: "+err.Error())
	}
	return normalizeName(name), nil
}

func normalizeName(name string) string {
	if len(name) > 1 {
		name = strings.TrimSuffix(name, delim)
	}
	if len(name) >= 5 && strings.EqualFold(name[:5], "INBOX") && (len(name) == 5 || name[5:6] == delim) {
		name = "INBOX" + name[5:]
	}
	return name
}

// patternFromWire decodes a LIST reference or pattern like a mailbox name
// but keeps wildcards and a trailing separator.
func (c *conn) patternFromWire(raw string) (string, error) {
	s, err := wire.DecodeMailboxName(lenientUTF8(raw, c.utf8Mode()), c.utf8Mode())
	if err != nil {
		return "", bad("CLIENTBUG", "invalid mailbox pattern: "+err.Error())
	}
	return s, nil
}

// mailboxToWire encodes a UTF-8 mailbox name for this client.
func (c *conn) mailboxToWire(name string) string {
	return wire.EncodeMailboxName(name, c.utf8Mode())
}

// lenientUTF8 accepts raw UTF-8 in a name from an IMAP4rev1-mode client:
// some clients (go-imap v2) send UTF-8 to any server that advertises
// IMAP4rev2, without ENABLE, escaping only "&" as "&-". Such a name cannot
// be confused with modified UTF-7 (which is 7-bit), so its 8-bit runs are
// re-encoded as modified UTF-7 and the strict decoder does the rest.
func lenientUTF8(raw string, utf8Mode bool) string {
	if utf8Mode || !utf8.ValidString(raw) {
		return raw
	}
	ascii := true
	for i := 0; i < len(raw); i++ {
		if raw[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); {
		j := i
		for j < len(raw) && raw[j] >= 0x80 {
			j++
		}
		if j > i {
			b.WriteString(wire.EncodeMailboxName(raw[i:j], false))
			i = j
			continue
		}
		b.WriteByte(raw[i])
		i++
	}
	return b.String()
}
