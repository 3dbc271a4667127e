// Package blobstore stores message bodies: immutable, content-addressed
// objects named by the hex SHA-256 of their bytes, so a message delivered to
// many mailboxes is stored once (DESIGN.md "blob store").
//
// Two implementations satisfy Store: Dir (a local directory, the default of
// `postbus serve`) and S3 (any S3-compatible service, via minio-go). One
// conformance suite (blobstoretest) runs against both; s3test runs a real
// S3 service (versitygw) for it; faultstore wraps any Store to inject
// errors and latency into other packages' failure-path tests.
//
// Invariants every implementation keeps:
//
//   - A blob is visible (Open, Stat, List) only once it is complete and
//     durable, and only under the ID that is the SHA-256 of its bytes: Put
//     computes the ID from what it actually read, never trusts a caller.
//   - A failed Put (source error, ctx done, ErrTooBig, storage error) leaves
//     no blob behind. Its temporary data (Dir: tmp/put-*, S3: <prefix>tmp/)
//     is removed at once, or, after a crash, by the next NewDir/NewS3 once
//     older than StaleTempAge.
//   - A Put of bytes that are already stored succeeds, returns the same ID,
//     keeps one copy, and refreshes the blob's modification time, so a
//     garbage collector that deletes only blobs unreferenced and older than
//     its grace period never deletes one a new message has just re-used.
//   - IDs are validated (ValidID: 64 lower-case hex) before they become a
//     path or key; an invalid one fails with an error matching ErrInvalidID
//     and base.ErrInvalidArgument, so no ID can reach outside the store.
//   - Errors are package-prefixed and wrap the base sentinels: a missing
//     blob is base.ErrNoSuchBlob, a size over maxSize is base.ErrTooBig, an
//     S3 service that cannot be reached or fails (5xx) is also
//     base.ErrUnavailable, and ctx errors stay matchable with errors.Is.
//   - Readers from Open stream: nothing holds a whole blob in memory (S3's
//     Put holds at most one part, S3Config.PartSize). A Dir reader is a file
//     and outlives the ctx given to Open; an S3 reader is the HTTP response
//     body and stops when that ctx is done, so callers keep ctx alive while
//     reading.
//
// Deletion is never done by a request path: only the garbage collector calls
// Delete, after a grace period (issue 6).
package blobstore
