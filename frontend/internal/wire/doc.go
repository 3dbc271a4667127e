// Package wire is the IMAP wire codec of the frontend: a Decoder that turns
// client bytes into typed Commands (RFC 9051 §9 ABNF, with the extension
// syntax of RFC 4466), and an Encoder that writes server responses.
//
// Everything a client sends is hostile until parsed: the decoder bounds the
// line length outside literals, the size of literals, and the nesting depth
// of parenthesised lists (Limits). A malformed command yields a *SyntaxError
// after the decoder has skipped to the end of that command, so the
// connection stays usable; any other error means the connection is done.
//
// Decoder invariants and choices:
//
//   - The decoder reads one line chunk (up to LF; CRLF and bare LF are
//     both accepted) at a time; a literal always ends a chunk. The chunks
//     of one command share MaxLineLength. An overlong line is skipped in
//     bufio-sized pieces, never buffered whole.
//   - Literals outside APPEND are buffered: each at most MaxSmallLiteral,
//     together at most 8×MaxSmallLiteral per command, otherwise BAD
//     [TOOBIG]. Literal8 ("~{n}") is accepted only for APPEND messages,
//     their CATENATE TEXT parts (catenate.go) and SETMETADATA values
//     (RFC 5464 value = nstring / literal8), where a value literal over
//     MaxSmallLiteral is not BAD but reported as
//     SetMetadataArgs.ValueTooLarge, for NO [METADATA MAXSIZE].
//   - A synchronising literal gets its continuation ("+ Ready for literal
//     data") only when the decoder is about to read it: never for a literal
//     it refuses, never for one announced on a line being skipped (the
//     client waits for a continuation that never comes; our BAD or NO ends
//     the command).
//   - Skipping a command reads and drops the non-synchronising literals on
//     its remaining lines, at most 2×MaxNonSyncLiteral octets in all (they
//     are on the way whatever we answer). Beyond that the decoder gives up
//     with the fatal ErrLiteralTooBig: the caller sends BYE and closes.
//   - APPEND is streamed: ReadCommand stops after the mailbox, and
//     ReadAppendMessage hands out each message literal as a reader that
//     sends the continuation on its first Read, after the caller had its
//     chance to refuse (SkipCommand). A CATENATE message (RFC 4469) is
//     streamed the same way, one part at a time (ReadCatPart). The UTF8
//     data item of RFC 6855 §4, "UTF8 (~{n}...)", is parsed whatever the
//     session enabled and marked in AppendMessage.UTF8; whether it is
//     allowed is the session's call.
//   - Names are normalised where the grammar is case-insensitive: command
//     names, options, fetch items, status items and capabilities are
//     upper-cased; system flags get their canonical spelling ("\Seen"),
//     NOTIFY events their RFC 5465 one ("MessageNew");
//     keywords, mailbox names (raw, see DecodeMailboxName) and strings are
//     kept as sent.
//   - "$" (SEARCHRES, RFC 5182) in a sequence set is imap.SearchRes(); as a
//     search key it is a SearchSaved node (also for "UID $").
//
// Written by hand because go-imap v2 keeps its codec in an internal package
// and its server cannot be extended with the commands postbus needs (see
// issue 2); go-imap's public types (imap.NumSet, imap.UIDSet) are reused.
package wire
