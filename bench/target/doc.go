// Package target describes an IMAP server under test (address, TLS mode,
// credentials pattern) and dials instrumented connections to it: each
// connection counts the bytes it reads and writes, and every command runs
// under a deadline so that no benchmark request can hang.
package target
