// Package bench is the root of postbus's FETCH/SEARCH benchmark harness: a
// library with a thin CLI (`postbus bench`) that measures any IMAP server
// and compares postbus with Dovecot side by side.
//
// Sub-packages, each with one job:
//
//	corpus    deterministic, seeded mail generator (and mbox/Maildir readers)
//	target    how to reach an IMAP server: address, TLS mode, user pattern
//	load      N users × M messages through IMAP APPEND, idempotent
//	workload  the named workloads (fetch-envelope … mixed) and their runner
//	hist      a log-linear latency histogram (HDR-style, fixed relative error)
//	report    text table, JSON and HTML (inline SVG) output
//	procstat  a local server's CPU and memory, from /proc, over its process tree
//	dovecot   a throwaway Dovecot on 127.0.0.1 for comparisons and tests
//	postbusd  a throwaway `postbus serve` child process
//	compare   loads one corpus into two servers and runs workloads alternately
//
// Invariants: every request loop is bounded both in count and in time; the
// corpus is a pure function of its seed, so expected search hit counts are
// known without asking the server.
package bench
