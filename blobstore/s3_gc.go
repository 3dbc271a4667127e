package blobstore

import (
	"context"
	"time"

	"github.com/minio/minio-go/v7"
)

// DeleteIfOlder implements ConditionalDeleter with a HEAD and then a
// DELETE. S3 has no delete conditional on the modification time, so a Put
// of the same bytes that completes between the two requests (one round
// trip) loses its object: the collector's re-check narrows the race with a
// concurrent APPEND of an identical body to that window but cannot close
// it, unlike Dir's rename. A deployment that cannot accept it runs the
// collector with versioning enabled on the bucket (the deleted version
// stays recoverable).
func (s *S3) DeleteIfOlder(ctx context.Context, id ID, cutoff time.Time) (bool, error) {
	if err := CheckID(id); err != nil {
		return false, err
	}
	info, err := s.core.StatObject(ctx, s.bucket, s.key(id), minio.StatObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return false, nil
		}
		return false, s.mapErr("gc stat", id, err)
	}
	if !info.LastModified.Before(cutoff) {
		return false, nil
	}
	if err := s.Delete(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}
