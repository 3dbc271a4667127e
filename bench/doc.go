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
// # Clients
//
// The four FETCH workloads (fetch-envelope, fetch-headers, fetch-body,
// fetch-bodystructure) use a lean client by default: target.RawConn logs
// in and EXAMINEs itself, sends the same FETCH command go-imap would, and
// reads the responses with a small lexer (RFC 9051 §4, §7, §9) that finds
// where each response ends — quoted strings, literals {n} / ~{n} skipped
// unread wherever they appear, lists, bracketed sections — counts the
// FETCH responses, checks that each names every data item asked for
// (ENVELOPE, BODY[HEADER.FIELDS (…)], BODY[], BODYSTRUCTURE, UID, …) and
// that the command completed OK; it decodes nothing and allocates nothing
// per response. go-imap v2's imapclient decodes every ENVELOPE and
// BODYSTRUCTURE into Go values, which on a 2-core machine costs the
// client more CPU than either server spends producing them (about 28×
// the lean client's CPU for a 2000-message fetch-envelope, see
// target.BenchmarkFetchEnvelope2000), so both servers showed the same
// ops/s: the figures measured the client.
//
// The three SEARCH workloads (search-header, search-body, search-flags)
// use the same lean client by default: RawConn.Search sends the bytes
// go-imap sends for the query (strings quoted, or synchronizing literals
// after the server's "+"), and the reader counts the UIDs of "* SEARCH"
// responses (or of an ESEARCH ALL set) as it checks each is an nz-number,
// keeping none. go-imap collects them into a UIDSet, which costs it over
// ten times the lean client's CPU per UID (target.BenchmarkReadSearch,
// 20,000 UIDs), so at 100k messages the go-imap client used more CPU than
// the server on search-flags.
//
// `--client goimap` (Options.Client) restores go-imap for these seven
// workloads; every other workload (load, login, select, append, mixed)
// always uses go-imap.
//
// Figures taken with different clients are not comparable: the method
// changed with the lean client (issue 5), and its client CPU column is the
// check that a run measured the servers.
//
// Invariants: every request loop is bounded both in count and in time; the
// corpus is a pure function of its seed, so expected search hit counts are
// known without asking the server.
package bench
