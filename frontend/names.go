package frontend

import (
	"strings"

	"github.com/postbus/postbus/frontend/internal/wire"
)

// delim is the hierarchy separator of every postbus mailbox name.
const delim = "/"

// mailboxFromWire decodes a mailbox name as the client sent it: modified
// UTF-7 for IMAP4rev1 clients, UTF-8 after ENABLE IMAP4rev2 (RFC 9051
// §5.1). INBOX is case-insensitive (RFC 9051 §5.1), so any spelling of it,
// alone or as the first level, becomes "INBOX"; a trailing separator is
// dropped (RFC 9051 §6.3.4).
func (c *conn) mailboxFromWire(raw string) (string, error) {
	name, err := wire.DecodeMailboxName(raw, c.rev2)
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
	s, err := wire.DecodeMailboxName(raw, c.rev2)
	if err != nil {
		return "", bad("CLIENTBUG", "invalid mailbox pattern: "+err.Error())
	}
	return s, nil
}

// mailboxToWire encodes a UTF-8 mailbox name for this client.
func (c *conn) mailboxToWire(name string) string {
	return wire.EncodeMailboxName(name, c.rev2)
}
