package state

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/postbus/postbus/metadata/base"
)

// Inbox is the canonical spelling of the INBOX name (RFC 9051 §5.1).
const Inbox = "INBOX"

// Separator is the hierarchy separator of mailbox names.
const Separator = "/"

const (
	maxUserLen    = 255
	maxMailboxLen = 1000
)

// ValidateUser checks a user name: non-empty, at most 255 bytes, valid
// UTF-8, no NUL, control characters or spaces (NUL also ends the user part
// of every key, see package schema).
func ValidateUser(user string) error {
	if user == "" || len(user) > maxUserLen || !utf8.ValidString(user) {
		return fmt.Errorf("state: user name %q: %w", user, base.ErrInvalidArgument)
	}
	for _, r := range user {
		if r == 0 || unicode.IsControl(r) || unicode.IsSpace(r) {
			return fmt.Errorf("state: user name %q: %w", user, base.ErrInvalidArgument)
		}
	}
	return nil
}

// CanonicalName validates a mailbox name and returns its canonical form:
// INBOX (and INBOX as the first component) in upper case (RFC 9051 §5.1).
// Rejected with ErrInvalidName: empty names and components, a leading or
// trailing separator, invalid UTF-8, control characters (U+2028 and U+2029
// count as such, RFC 6855 §3), the LIST wildcards
// '*' and '%', and names over 1000 bytes.
func CanonicalName(name string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("state: mailbox name %q: %s: %w", name, why, base.ErrInvalidName)
	}
	if name == "" {
		return bad("empty")
	}
	if len(name) > maxMailboxLen {
		return bad("too long")
	}
	if !utf8.ValidString(name) {
		return bad("not UTF-8")
	}
	for _, r := range name {
		// RFC 6855 §3: no control characters (C0, DEL, C1), and no line
		// or paragraph separator either.
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return bad("control character")
		}
		if r == '*' || r == '%' {
			return bad("wildcard character")
		}
	}
	parts := strings.Split(name, Separator)
	for _, p := range parts {
		if p == "" {
			return bad("empty hierarchy component")
		}
	}
	if strings.EqualFold(parts[0], Inbox) {
		parts[0] = Inbox
	}
	return strings.Join(parts, Separator), nil
}

// parents returns the proper ancestors of a canonical name, shortest first.
func parents(name string) []string {
	var out []string
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			out = append(out, name[:i])
		}
	}
	return out
}

// specialUses are the RFC 6154 §2 mailbox attributes a mailbox may carry.
var specialUses = []string{`\All`, `\Archive`, `\Drafts`, `\Flagged`, `\Junk`, `\Sent`, `\Trash`}

// canonicalSpecialUse validates a special-use attribute ("" is none).
func canonicalSpecialUse(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	for _, u := range specialUses {
		if strings.EqualFold(s, u) {
			return u, nil
		}
	}
	return "", fmt.Errorf("state: special-use %q: %w", s, base.ErrInvalidArgument)
}
