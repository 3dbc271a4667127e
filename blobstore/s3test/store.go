package s3test

import (
	"context"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
)

// NewStore starts a server as Start does and returns an S3 store on a fresh
// bucket of it, for tests in other packages that just need a real S3 Store.
func NewStore(t testing.TB) *blobstore.S3 {
	t.Helper()
	cfg := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := blobstore.NewS3(ctx, cfg)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return s
}
