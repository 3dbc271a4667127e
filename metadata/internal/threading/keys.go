package threading

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Msg is what sorting and threading need of one message. Strings are
// decoded UTF-8 as metadata stores them (MessageMeta subject/from/to/cc):
// address lists are rendered `mailbox@host` or `name <mailbox@host>`,
// joined by ", ". Message ids are without angle brackets.
type Msg struct {
	UID          uint32
	Subject      string
	From, To, Cc string // fallback when Envelope is missing or unreadable
	Envelope     []byte // ENVELOPE wire form: the address keys' source
	SentDate     int64  // unix seconds, 0 if the Date: header is absent or bad
	InternalDate int64  // unix seconds
	Size         uint64
	MessageID    string
	InReplyTo    string
	References   []string
}

// sentDate is the RFC 5256 §2.2 sent date: the Date: header normalised to
// UTC, or INTERNALDATE when it cannot be determined.
func (m *Msg) sentDate() int64 {
	if m.SentDate != 0 {
		return m.SentDate
	}
	return m.InternalDate
}

// collate maps a string to its i;unicode-casemap comparison form (RFC 5051
// §2, the collation RFC 5256 §3 and Dovecot use): each character to its
// titlecase, then NFKD, compared octet by octet.
func collate(s string) string {
	return norm.NFKD.String(strings.Map(unicode.ToTitle, s))
}

// firstAddresses returns the first address of From, To and Cc, from the
// envelope when it can be read, else from the decoded lists.
func (m *Msg) firstAddresses() (first [3]address, present [3]bool) {
	if len(m.Envelope) > 0 {
		if f, p, ok := parseEnvelope(m.Envelope); ok {
			return f, p
		}
	}
	for i, l := range []string{m.From, m.To, m.Cc} {
		first[i], present[i] = firstAddress(l)
	}
	return first, present
}

// address is the first address of a rendered address list.
type address struct {
	name, mailbox, host string
}

// firstAddress reads the first address of a list rendered as metadata
// renders it. A display name may itself contain ", " or "@", so the first
// entry is a bare address only if the text before the first ", " has an
// "@" and no "<"; otherwise it is `name <mailbox@host>`.
func firstAddress(list string) (address, bool) {
	if list == "" {
		return address{}, false
	}
	head := list
	if i := strings.Index(list, ", "); i >= 0 {
		head = list[:i]
	}
	if strings.Contains(head, "@") && !strings.Contains(head, "<") {
		at := strings.LastIndexByte(head, '@')
		return address{mailbox: head[:at], host: head[at+1:]}, true
	}
	// Named: the first " <" whose bracket holds an "@" before its ">".
	for off := 0; ; {
		i := strings.Index(list[off:], " <")
		if i < 0 {
			break
		}
		i += off
		rest := list[i+2:]
		if j := strings.IndexByte(rest, '>'); j >= 0 {
			spec := rest[:j]
			if at := strings.LastIndexByte(spec, '@'); at >= 0 {
				return address{name: list[:i], mailbox: spec[:at], host: spec[at+1:]}, true
			}
		}
		off = i + 2
	}
	// Unreadable: treat the whole first entry as a mailbox.
	return address{mailbox: head}, true
}

// mailboxKey is the RFC 5256 §3 FROM/TO/CC sort value: the addr-mailbox of
// the first address, "" without one.
func mailboxKey(a address) string { return a.mailbox }

// displayKey is the RFC 5957 §3 sort value of the first address: its
// display name if non-empty, else mailbox@host, else mailbox, else "".
func displayKey(a address, ok bool) string {
	switch {
	case !ok:
		return ""
	case a.name != "":
		return a.name
	case a.host != "":
		return a.mailbox + "@" + a.host
	}
	return a.mailbox
}
