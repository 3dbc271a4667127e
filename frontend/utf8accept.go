package frontend

import (
	"io"

	"github.com/postbus/postbus/frontend/internal/wire"
)

// UTF8=ACCEPT (RFC 6855). After ENABLE UTF8=ACCEPT (authenticated state
// only, RFC 6855 §3; ENABLE is refused elsewhere by the command table) the
// session sends UTF-8 in quoted strings and takes and gives mailbox names
// in UTF-8 instead of modified UTF-7, exactly as after ENABLE IMAP4rev2
// (RFC 9051 §5.1): both set utf8Mode. UTF-8 in the client's quoted strings
// is accepted in every state (the decoder answers BAD for invalid UTF-8,
// RFC 6855 §3).
//
// What postbus does with messages whose header holds UTF-8 (RFC 6532):
//   - APPEND: a session with neither UTF8=ACCEPT nor IMAP4rev2 enabled gets
//     NO for a message with any 8-bit octet in its header (RFC 6855 §4
//     MUST; IMAP4rev2 is I18N-HDRS compatible, RFC 9051 §4.3.1, so it may).
//     The UTF8 data item, "UTF8 (~{n}...)", is BAD until UTF8=ACCEPT is
//     enabled (IMAP4rev2 does not define it either).
//   - FETCH to a client that enabled nothing: no downgrade (RFC 6855 §7
//     leaves it to the server; RFC 6857/6858 surrogates would break
//     signatures and the one-message-one-UID promise). Header octets go out
//     as they are stored, inside literals (8-bit is valid there, RFC 3501
//     §4.3), and ENVELOPE/BODYSTRUCTURE strings with non-ASCII text are
//     literals too (package message renders them without UTF8), so the
//     wire syntax stays IMAP4rev1 whatever the client enabled.
//   - SELECT/EXAMINE work without ENABLE: only UTF8=ONLY (RFC 6855 §6),
//     which postbus does not advertise, may refuse them.

// utf8Mode reports whether quoted strings and mailbox names are UTF-8 for
// this session: IMAP4rev2 (RFC 9051 §6.3.1) or UTF8=ACCEPT (RFC 6855 §3).
func (c *conn) utf8Mode() bool { return c.rev2 || c.utf8Accept }

// enableUTF8Accept is ENABLE UTF8=ACCEPT; it reports whether the extension
// was newly enabled (RFC 5161 §3.1: ENABLED lists only those).
func (c *conn) enableUTF8Accept() bool {
	if c.utf8Accept {
		return false
	}
	c.utf8Accept = true
	c.enc.UTF8 = true
	return true
}

// searchCharsetAllowed refuses a SEARCH with a CHARSET once UTF8=ACCEPT is
// enabled: RFC 6855 §3, the client MUST NOT send one and the server SHOULD
// answer BAD "due to the conflicting charset labels".
func (c *conn) searchCharsetAllowed(charset string) error {
	if c.utf8Accept && charset != "" {
		return bad("CLIENTBUG", "SEARCH must not name a CHARSET after ENABLE UTF8=ACCEPT")
	}
	return nil
}

// appendUTF8Guard applies RFC 6855 §4 to one APPEND message before its
// body is read: the UTF8 data item needs UTF8=ACCEPT (BAD otherwise), and
// a session without UTF-8 support gets its body watched for 8-bit header
// octets. The returned guard's verdict is asked once the body was read.
func (c *conn) appendUTF8Guard(m *wire.AppendMessage) (*headerScan, error) {
	if m.UTF8 && !c.utf8Accept {
		return nil, bad("CLIENTBUG", "APPEND UTF8 data requires ENABLE UTF8=ACCEPT")
	}
	if c.utf8Mode() {
		return nil, nil
	}
	hs := &headerScan{r: m.Body}
	m.Body = hs
	return hs, nil
}

// headerScan passes a message through and notes whether its header (up to
// the first empty line) holds an octet with the high bit set.
type headerScan struct {
	r        io.Reader
	lineLen  int  // octets on the current header line, CR not counted
	done     bool // header ended, or an 8-bit octet was found
	eightBit bool
}

func (h *headerScan) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	for _, b := range p[:n] {
		if h.done {
			break
		}
		switch {
		case b >= 0x80:
			h.eightBit, h.done = true, true
		case b == '\n':
			h.done = h.lineLen == 0 // the empty line ends the header
			h.lineLen = 0
		case b != '\r':
			h.lineLen++
		}
	}
	return n, err
}

// verdict is RFC 6855 §4: "the server MUST reject, with a NO response, an
// APPEND command that includes any 8-bit character in message header
// fields" when the client did not enable UTF8=ACCEPT. A nil guard (UTF-8
// session) always passes.
func (h *headerScan) verdict() error {
	if h == nil || !h.eightBit {
		return nil
	}
	return no("CANNOT", "8-bit characters in the message header need ENABLE UTF8=ACCEPT")
}
