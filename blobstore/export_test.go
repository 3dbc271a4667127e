package blobstore

import (
	"context"
	"time"
)

// RemoveStaleTempsBefore exposes the stale-temp sweep of NewS3 with a
// chosen cut-off, since tests cannot age S3 objects.
func (s *S3) RemoveStaleTempsBefore(ctx context.Context, before time.Time) {
	s.removeStaleTemps(ctx, before)
}
