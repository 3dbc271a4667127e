package blobstore

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// List implements Store with a recursive ListObjects under the prefix,
// skipping temp objects and keys that are not blobs in their proper place.
func (s *S3) List(ctx context.Context, fn func(id ID, size int64, modTime time.Time) bool) error {
	// Cancelling lctx stops minio-go's listing goroutine when fn stops early.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.core.Client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return s.mapErr("list", s.bucket, obj.Err)
		}
		id, ok := s.idOfKey(obj.Key)
		if !ok {
			continue
		}
		if !fn(id, obj.Size, obj.LastModified) {
			return nil
		}
	}
	return ctx.Err()
}

// idOfKey parses "<prefix>ab/<id>".
func (s *S3) idOfKey(key string) (ID, bool) {
	rest, ok := strings.CutPrefix(key, s.prefix)
	if !ok || len(rest) != 3+IDLen || rest[2] != '/' {
		return "", false
	}
	id := rest[3:]
	if !ValidID(id) || id[:2] != rest[:2] {
		return "", false
	}
	return id, true
}

// removeStaleTemps deletes temp objects and aborts multipart uploads under
// tmp/ that are older than StaleTempAge: leftovers of Puts interrupted by a
// crash. Failures are logged, not returned: they cost space, not
// correctness, and must not keep the store from opening.
func (s *S3) removeStaleTemps(ctx context.Context, before time.Time) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.core.Client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.tmpPrefix(), Recursive: true}) {
		if obj.Err != nil {
			slog.Warn("blobstore: s3: listing temp objects", "err", obj.Err)
			break
		}
		if obj.LastModified.Before(before) {
			if err := s.core.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
				slog.Warn("blobstore: s3: removing stale temp object", "key", obj.Key, "err", err)
			}
		}
	}
	for up := range s.core.ListIncompleteUploads(lctx, s.bucket, s.tmpPrefix(), true) {
		if up.Err != nil {
			slog.Warn("blobstore: s3: listing incomplete uploads", "err", up.Err)
			break
		}
		if up.Initiated.Before(before) {
			if err := s.core.AbortMultipartUpload(ctx, s.bucket, up.Key, up.UploadID); err != nil {
				slog.Warn("blobstore: s3: aborting stale upload", "key", up.Key, "err", err)
			}
		}
	}
}
