package blobstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/blobstore/s3test"
)

// TestS3DeleteIfOlder against a real S3 server: an object modified after
// the cutoff stays, an older one goes, a missing one is no error, and the
// listing is in ascending id order (which the collector relies on).
func TestS3DeleteIfOlder(t *testing.T) {
	s := newS3(t, s3test.Start(t))
	ctx := context.Background()
	var ids []string
	for _, b := range []string{"one", "two", "three", "four"} {
		id, _, err := s.Put(ctx, strings.NewReader(b), 0)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	n := 0
	if err := blobstore.ListSorted(ctx, s, func(string, int64, time.Time) bool { n++; return true }); err != nil || n != 4 {
		t.Fatalf("ListSorted: %d, %v", n, err)
	}
	// S3 times have a one-second resolution.
	past := time.Now().Add(-time.Hour)
	if got, err := blobstore.DeleteIfOlder(ctx, s, ids[0], past); err != nil || got {
		t.Fatalf("young object: %v, %v", got, err)
	}
	future := time.Now().Add(time.Hour)
	if got, err := blobstore.DeleteIfOlder(ctx, s, ids[0], future); err != nil || !got {
		t.Fatalf("old object: %v, %v", got, err)
	}
	if _, err := s.Stat(ctx, ids[0]); err == nil {
		t.Fatal("deleted object still there")
	}
	if got, err := blobstore.DeleteIfOlder(ctx, s, ids[0], future); err != nil || got {
		t.Fatalf("missing object: %v, %v", got, err)
	}
	if _, err := s.Stat(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
}
