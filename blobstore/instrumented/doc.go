// Package instrumented wraps a blobstore.Store and records Prometheus
// metrics for every operation: how many by operation and result, how long
// each took, and how many bytes were stored and read (after blobstore's
// faultstore, which decorates the same interface to inject faults).
//
// Invariants: the wrapper is transparent — it returns exactly what the inner
// store returns (same IDs, sizes, errors, bytes) and passes the
// blobstoretest conformance suite; the label values are a fixed set (Op*
// and Result* constants), so a misbehaving store cannot grow the series.
// An Open's duration is the time to obtain the reader (for S3 the GET's
// first response); the bytes read afterwards are counted as they stream,
// and a failed Read counts as one "read" operation with its result. The
// wrapper implements the optional capabilities the garbage collector looks
// for by type assertion (DeleteIfOlder, PrepareGC) exactly when the
// wrapped store does.
package instrumented
