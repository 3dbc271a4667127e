package blobstore

import (
	"context"
	"io"
	"time"
)

// ID is the hex-encoded SHA-256 of a blob's content (64 lower-case chars).
type ID = string

// Store is the contract every blob store implements. All methods are safe for
// concurrent use. Every method taking an ID fails with an error matching
// ErrInvalidID and base.ErrInvalidArgument unless ValidID(id).
type Store interface {
	// Put streams r into the store, hashing as it reads, and returns the ID
	// and size of what it stored. It returns only after the blob is durable
	// (fsync / S3 PUT acknowledged). Putting bytes that are already stored is
	// not an error and yields the same ID; it refreshes the stored blob's
	// modification time (see List). If r fails, or yields more than maxSize
	// bytes (maxSize <= 0: no limit), or ctx ends, nothing is stored and the
	// error is returned (base.ErrTooBig for the limit; r's and ctx's errors
	// match under errors.Is).
	Put(ctx context.Context, r io.Reader, maxSize int64) (ID, int64, error)

	// Open returns a reader of length bytes of the blob starting at offset
	// (length < 0: to the end). The caller must Close it, and keep ctx alive
	// while reading (an S3 reader is the HTTP response body). Open fails
	// with base.ErrNoSuchBlob if the blob does not exist, whatever the range.
	// Ranges past the end are truncated, not errors; a negative offset is
	// base.ErrInvalidArgument.
	Open(ctx context.Context, id ID, offset, length int64) (io.ReadCloser, error)

	// Stat returns the size of a blob, or base.ErrNoSuchBlob.
	Stat(ctx context.Context, id ID) (int64, error)

	// Delete removes a blob. Deleting a missing blob is not an error.
	Delete(ctx context.Context, id ID) error

	// List calls fn for every blob with its modification time, in
	// ascending ID order (the garbage collector merge-joins it with the
	// sorted references; blobstore.ListSorted checks the order), until fn
	// returns false or an error occurs. Used by the garbage collector only.
	// A decorator of a Store exposes the store it wraps with
	// Unwrap() Store.
	List(ctx context.Context, fn func(id ID, size int64, modTime time.Time) bool) error
}
