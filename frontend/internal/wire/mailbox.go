package wire

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file converts mailbox names between the wire and UTF-8: modified
// UTF-7 (RFC 3501 §5.1.3) for IMAP4rev1 clients, plain UTF-8 once
// IMAP4rev2 (RFC 9051 §5.1) or UTF8=ACCEPT (RFC 6855 §3) is in effect.
// Whether "INBOX" is case-insensitive is the caller's business.

// ErrMailboxName is returned for a mailbox name that is not valid modified
// UTF-7 (or not valid UTF-8 in UTF-8 mode).
var ErrMailboxName = errors.New("wire: invalid mailbox name encoding")

// mutf7 is the base64 of modified UTF-7: "," instead of "/", no padding.
var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// DecodeMailboxName turns a mailbox name as sent by the client into UTF-8.
// Without utf8 it decodes modified UTF-7, strictly: only printable ASCII
// outside shifted runs, no printable ASCII encoded inside them, "&-" for
// "&", well-formed UTF-16 and zero padding bits. With utf8 it only checks
// that raw is valid UTF-8.
func DecodeMailboxName(raw string, utf8Mode bool) (string, error) {
	if utf8Mode {
		if !utf8.ValidString(raw) {
			return "", fmt.Errorf("%w: not UTF-8", ErrMailboxName)
		}
		return raw, nil
	}
	if !strings.Contains(raw, "&") {
		for i := 0; i < len(raw); i++ {
			if raw[i] < 0x20 || raw[i] > 0x7e {
				return "", fmt.Errorf("%w: 8-bit or control octet", ErrMailboxName)
			}
		}
		return raw, nil
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("%w: 8-bit or control octet", ErrMailboxName)
		}
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(raw[i+1:], '-')
		if end < 0 {
			return "", fmt.Errorf("%w: unterminated shift", ErrMailboxName)
		}
		run := raw[i+1 : i+1+end]
		i += end + 1
		if run == "" {
			b.WriteByte('&')
			continue
		}
		s, err := decodeShifted(run)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// decodeShifted decodes the base64 between "&" and "-".
func decodeShifted(run string) (string, error) {
	// Padding bits beyond the last UTF-16 unit must be fewer than 6 and
	// zero; Strict decoding checks the zero part.
	if len(run)*6%16 >= 6 {
		return "", fmt.Errorf("%w: bad shift length", ErrMailboxName)
	}
	buf, err := mutf7.Strict().DecodeString(run)
	if err != nil || len(buf)%2 != 0 {
		return "", fmt.Errorf("%w: bad modified base64", ErrMailboxName)
	}
	units := make([]uint16, len(buf)/2)
	for j := range units {
		units[j] = uint16(buf[2*j])<<8 | uint16(buf[2*j+1])
	}
	var b strings.Builder
	for j := 0; j < len(units); j++ {
		u := rune(units[j])
		switch {
		case u >= 0x20 && u <= 0x7e:
			return "", fmt.Errorf("%w: encoded printable ASCII", ErrMailboxName)
		case utf16.IsSurrogate(u):
			if j+1 >= len(units) {
				return "", fmt.Errorf("%w: lone surrogate", ErrMailboxName)
			}
			r := utf16.DecodeRune(u, rune(units[j+1]))
			if r == utf8.RuneError {
				return "", fmt.Errorf("%w: bad surrogate pair", ErrMailboxName)
			}
			b.WriteRune(r)
			j++
		default:
			b.WriteRune(u)
		}
	}
	return b.String(), nil
}

// EncodeMailboxName turns a UTF-8 mailbox name into its wire form: itself
// with utf8, else modified UTF-7. Invalid UTF-8 octets become U+FFFD.
func EncodeMailboxName(name string, utf8Mode bool) string {
	if utf8Mode {
		return name
	}
	var b strings.Builder
	var units []uint16
	flush := func() {
		if len(units) == 0 {
			return
		}
		buf := make([]byte, 2*len(units))
		for i, u := range units {
			buf[2*i], buf[2*i+1] = byte(u>>8), byte(u)
		}
		b.WriteByte('&')
		b.WriteString(mutf7.EncodeToString(buf))
		b.WriteByte('-')
		units = units[:0]
	}
	for _, r := range name {
		if r >= 0x20 && r <= 0x7e {
			flush()
			b.WriteRune(r)
			if r == '&' {
				b.WriteByte('-')
			}
			continue
		}
		units = utf16.AppendRune(units, r)
	}
	flush()
	return b.String()
}
