// Package blobstoretest is the conformance suite of blobstore.Store: every
// implementation (and every decorator that claims to be transparent) runs
// Run against a fresh, empty store per subtest.
//
// The suite checks the Store contract as blobstore.go states it: content
// addressing and dedup, ranges (truncated past the end), missing blobs,
// the size limit and failing sources leaving nothing stored, idempotent
// Delete, complete List, concurrent Puts of the same bytes, a 20 MB blob
// streamed through without being held in memory, and rejection of IDs that
// are not 64 lower-case hex characters.
package blobstoretest
