package base

import "strings"

// Annotation entry names (RFC 5464 §3.2), shared by the frontend, which
// answers BAD for an invalid one, and the metadata node, which refuses to
// store one.

// MaxEntryName bounds the length of an annotation entry name in octets.
// RFC 5464 sets no limit; a name is a key of the metadata store, and no
// registered or vendor name comes near this.
const MaxEntryName = 512

// EntryError is an invalid annotation entry name. It matches
// ErrInvalidArgument with errors.Is.
type EntryError struct {
	Reason string
}

func (e *EntryError) Error() string { return "invalid annotation entry name: " + e.Reason }

// Unwrap makes an EntryError an ErrInvalidArgument.
func (e *EntryError) Unwrap() error { return ErrInvalidArgument }

// Entry scope prefixes (RFC 5464 §3.2: the first component is the scope).
const (
	PrivatePrefix = "/private/"
	SharedPrefix  = "/shared/"
)

// CanonicalEntry checks an entry name against RFC 5464 §3.2 and returns
// it lower-cased (entry names are case-insensitive, so one spelling is
// stored and answered). The rules: a "/"-separated path of at least two
// components whose first is "private" or "shared"; no "//", no trailing
// "/"; no "*" or "%"; printable ASCII only. The RFC forbids octets
// 0x00-0x19 and non-ASCII; postbus also refuses the rest of the controls
// (0x1a-0x1f, 0x7f), which §3.2 already "strongly discourages", so that no
// control octet can reach a response. The vendor rule of §3.2 (at least
// four components under /vendor/) is not enforced: the RFC itself
// registers /shared/vendor/<vendor-token> as an entry.
func CanonicalEntry(name string) (string, error) {
	switch {
	case name == "":
		return "", &EntryError{Reason: "empty"}
	case len(name) > MaxEntryName:
		return "", &EntryError{Reason: "too long"}
	case name[0] != '/':
		return "", &EntryError{Reason: "must start with /private/ or /shared/"}
	case name[len(name)-1] == '/':
		return "", &EntryError{Reason: "must not end with \"/\""}
	case strings.Contains(name, "//"):
		return "", &EntryError{Reason: "must not contain \"//\""}
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '*' || c == '%':
			return "", &EntryError{Reason: "must not contain \"*\" or \"%\""}
		case c < 0x20 || c > 0x7e:
			return "", &EntryError{Reason: "must be printable ASCII"}
		}
	}
	lower := strings.ToLower(name) // ASCII only: checked above
	if !strings.HasPrefix(lower, PrivatePrefix) && !strings.HasPrefix(lower, SharedPrefix) {
		return "", &EntryError{Reason: "must start with /private/ or /shared/"}
	}
	return lower, nil
}
