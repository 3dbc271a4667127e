// Package s3test runs a real S3 service for tests and benchmarks: versitygw
// (pinned in scripts/install-versitygw.sh) serving a temp directory on a
// loopback port, with real SigV4 signature checks.
//
// The binary is found or installed by that script, once per process, into
// <repo>/.tools/bin; POSTBUS_VERSITYGW names a binary to use instead. When
// it cannot be installed (no network, no Go toolchain), Start fails the test:
// CI must never silently skip the S3 half of the conformance suite.
//
// Start(t) returns an S3Config for a fresh server; NewStore(t) also opens a
// blobstore.S3 on it; StartProcess is for code without a testing.TB
// (benchmark harnesses, local clusters).
//
// Each server is a child process that this package alone starts and stops,
// by its pid: Start registers the stop with t.Cleanup, StartProcess hands it
// to the caller. On Linux the child is also killed if the test binary dies.
package s3test
