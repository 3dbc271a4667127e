// Package imapurl parses IMAP URLs that name a message or a message part
// (RFC 5092 §6, ABNF in §11), as CATENATE (RFC 4469 §3) and, later,
// URLFETCH/BURL use them.
//
// Every URL comes from a client and is hostile until parsed: Parse checks
// each character against the RFC 5092 character classes, decodes
// percent-encoding (RFC 3986 §2.1) only where the grammar allows it,
// requires UTF-8 in decoded mailbox and user names (RFC 5092 §8) and
// refuses control characters in them; numbers are bounded to 32 bits. It
// runs in time linear in the input and never panics.
//
// Invariants and choices:
//
//   - Absolute URLs ("imap://...") and network-path references ("//...")
//     carry a Server; absolute-path references ("/mailbox/;UID=n") and
//     relative-path references that start with a parameter (";UID=n",
//     ";SECTION=s", ";PARTIAL=p") do not: the caller resolves them against
//     its base URL (RFC 5092 §7, RFC 4469 §3).
//   - A relative-path reference that starts with a mailbox name
//     ("INBOX/;UID=1") is refused: RFC 5092 §7.2 forbids accepting them.
//   - Dot segments ("." and "..", RFC 3986 §5.2.4) are removed from the
//     mailbox path before decoding, so an encoded "%2E" is an ordinary
//     character, as RFC 5092 §7 requires.
//   - URLs that do not name a message (a server, a mailbox, a search) fail
//     with ErrNotMessage; the URLAUTH components (RFC 5092 §6.1.2) are
//     parsed and reported in URLAuth, never verified here.
package imapurl
