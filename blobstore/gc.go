package blobstore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Support for the blob garbage collector (package metadata/gc): sorted
// listing and a delete that spares blobs a concurrent Put has refreshed.

// ErrUnsorted reports a store whose List did not yield ascending ids.
var ErrUnsorted = errors.New("blobstore: list is not in ascending id order")

// ErrNoConditionalDelete reports a store without DeleteIfOlder.
var ErrNoConditionalDelete = errors.New("blobstore: store cannot delete conditionally")

// ConditionalDeleter is implemented by stores that can delete a blob only
// if it was not modified at or after a cutoff. Dir and S3 implement it.
type ConditionalDeleter interface {
	// DeleteIfOlder deletes blob id if its modification time is before
	// cutoff and reports whether it did (a missing blob: false, nil).
	DeleteIfOlder(ctx context.Context, id ID, cutoff time.Time) (bool, error)
}

// GCPreparer is implemented by stores that must finish the work of an
// interrupted collector before a new pass (Dir: blobs a crash left in its
// trash directory go back to their names).
type GCPreparer interface {
	PrepareGC(ctx context.Context) error
}

// ListSorted calls s.List and checks that ids come in strictly ascending
// order, which Dir (directory entries are read sorted) and S3 (ListObjects
// is lexicographic, and a key is "ab/<id>" with ab = id[:2]) guarantee. A
// merge-join against sorted reference lists needs it; a store breaking
// it fails with ErrUnsorted before fn sees the out-of-order id.
func ListSorted(ctx context.Context, s Store, fn func(id ID, size int64, modTime time.Time) bool) error {
	var last ID
	var bad error
	err := s.List(ctx, func(id ID, size int64, mt time.Time) bool {
		if last != "" && id <= last {
			bad = fmt.Errorf("%w: %s after %s", ErrUnsorted, id, last)
			return false
		}
		last = id
		return fn(id, size, mt)
	})
	if bad != nil {
		return bad
	}
	return err
}

// DeleteIfOlder deletes id from s if it is older than cutoff, through s's
// ConditionalDeleter; other stores fail with ErrNoConditionalDelete.
func DeleteIfOlder(ctx context.Context, s Store, id ID, cutoff time.Time) (bool, error) {
	cd, ok := s.(ConditionalDeleter)
	if !ok {
		return false, fmt.Errorf("%w: %T", ErrNoConditionalDelete, s)
	}
	return cd.DeleteIfOlder(ctx, id, cutoff)
}
