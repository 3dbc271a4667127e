// Package hist is a log-linear latency histogram in the spirit of HDR
// Histogram: values are bucketed by their power of two and, inside it, by
// 64 linear sub-buckets, so any recorded value is reported within 1/64
// (≈1.6 %) of its true value whatever its magnitude, in constant memory.
//
// It exists because no HDR histogram module is available to this project's
// build (the package mirror it may use does not list
// github.com/HdrHistogram/hdrhistogram-go); the few dozen lines here cover
// what the harness needs: Record, Merge, Quantile, Max and a CDF.
//
// A Histogram is not safe for concurrent use: give each worker its own and
// Merge them at the end.
package hist
