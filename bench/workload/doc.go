// Package workload holds the benchmark's named workloads and the runner
// that drives one of them against a target with C concurrent workers for a
// bounded time and a bounded number of operations.
//
// Every workload reports operations, messages and bytes per second, the
// latency distribution of its operations (p50/p90/p99/max from a hist
// histogram, and the CDF), its errors, and the CPU time the benchmark
// process itself used, so a saturated client is visible (ClientCPUPct near
// 100 × cores means the numbers measure the client, not the server).
//
// The FETCH and SEARCH workloads read responses with target.RawConn
// unless Options.Client is ClientGoIMAP (see the package bench
// documentation); either way a FETCH operation's message count is that of
// the FETCH responses, a response lacking a data item asked for is an
// error, and a SEARCH operation's is its hit count. Both clients send the
// same commands (searchCommand renders a query as go-imap does).
//
// Searches are checked: with a generated corpus each query's expected hit
// count is known (corpus.Generator.Expect), and a different answer counts
// as an error ("mismatch"), so a fast but wrong server does not win.
//
// Workloads that write (append, mixed) only APPEND to Options.AppendMailbox
// and only STORE \Answered, which no read workload's expectation depends
// on, so workloads may run in any order on one loaded corpus.
package workload
