// Package report renders benchmark results: a text table for people at a
// terminal, JSON for machines, and a self-contained HTML page with inline
// SVG charts (throughput per workload, latency CDF per workload) — no
// external scripts, styles or fonts, so the file can be committed and
// opened anywhere.
package report
