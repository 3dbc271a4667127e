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
// Written by hand because go-imap v2 keeps its codec in an internal package
// and its server cannot be extended with the commands postbus needs (see
// issue 2); go-imap's public types (imap.NumSet, imap.UIDSet) are reused.
package wire
