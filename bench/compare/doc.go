// Package compare measures postbus and Dovecot side by side in one run:
// it starts both as child processes on 127.0.0.1 (bench/postbusd,
// bench/dovecot), creates the same users on both, loads the same seeded
// corpus into both through IMAP, then runs each workload on one and then
// the other — alternating which goes first from one workload to the next,
// so neither always benefits from a warmer machine — and pairs the
// results. Both servers use implicit TLS with their own self-signed
// certificates, verified.
package compare
