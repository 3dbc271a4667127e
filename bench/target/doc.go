// Package target describes an IMAP server under test (address, TLS mode,
// credentials pattern) and dials instrumented connections to it: each
// connection counts the bytes it reads and writes, and every command runs
// under a deadline so that no benchmark request can hang.
//
// Two kinds of connection: Conn wraps go-imap's imapclient; RawConn
// (DialRaw) is the lean client of the FETCH and SEARCH workloads, which
// writes commands itself and reads responses with a lexer (lexer.go) that
// skips literals unread, counts FETCH responses and checks their item
// names (rawfetch.go), and counts the UIDs of SEARCH and ESEARCH responses
// (rawsearch.go), without decoding anything. The lexer never trusts the server: every
// grammar violation is an error wrapping ErrMalformed, its kept tokens are
// bounded, and the deadline bounds whatever it must skip.
package target
