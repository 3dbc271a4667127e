package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/postbus/postbus/metadata/base"
)

// S3Config says where an S3 store lives.
type S3Config struct {
	// Endpoint is host[:port], without a scheme (UseTLS picks https).
	Endpoint string
	// Bucket is created by NewS3 if it does not exist.
	Bucket    string
	AccessKey string
	SecretKey string
	// Region may be empty: the client then asks the service for the
	// bucket's location once.
	Region string
	UseTLS bool
	// PathStyle forces path-style requests (http://host/bucket/key), which
	// most self-hosted services (versitygw, MinIO, SeaweedFS) want; otherwise
	// the client picks virtual-host style when the endpoint supports it.
	PathStyle bool
	// Prefix is prepended verbatim to every key (e.g. "blobs/"), so one
	// bucket can hold several stores or other data.
	Prefix string
	// PartSize is both the largest blob uploaded with one PUT and the part
	// size of the multipart upload used for larger ones; it bounds the
	// memory a Put holds. 0 means DefaultPartSize; at least MinPartSize.
	PartSize int64
	// MaxRetries bounds how often minio-go retries a failed request (with
	// backoff) before reporting it. 0 means minio-go's default (10), which
	// rides out a restart of the service but makes an outage take seconds
	// to surface.
	MaxRetries int
}

// Part sizes (see S3Config.PartSize). 5 MiB is S3's minimum part size.
const (
	DefaultPartSize = 8 << 20
	MinPartSize     = 5 << 20
	maxParts        = 10000 // S3's limit on the parts of a multipart upload
)

// S3 is a Store in an S3 bucket. Keys:
//
//	<prefix>ab/<id>      a blob, under the first byte of its ID so listings
//	                     and per-prefix request rates spread out
//	<prefix>tmp/<rand>   a large Put in progress (see Put)
//
// Readers returned by Open stream the HTTP response and stop working when
// the ctx given to Open is done.
type S3 struct {
	core     minio.Core
	bucket   string
	prefix   string
	partSize int64
}

var _ Store = (*S3)(nil)

// NewS3 connects to the service, creates the bucket if missing, and removes
// stale temp objects and abandoned multipart uploads of earlier crashed
// Puts (older than StaleTempAge).
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, fmt.Errorf("blobstore: s3: endpoint and bucket are required: %w", base.ErrInvalidArgument)
	}
	if strings.Contains(cfg.Endpoint, "://") {
		return nil, fmt.Errorf("blobstore: s3: endpoint %q must be host[:port] (set UseTLS for https): %w", cfg.Endpoint, base.ErrInvalidArgument)
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < MinPartSize {
		return nil, fmt.Errorf("blobstore: s3: part size %d below the S3 minimum %d: %w", partSize, MinPartSize, base.ErrInvalidArgument)
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.UseTLS,
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("blobstore: s3: %w", err)
	}
	s := &S3{core: minio.Core{Client: client}, bucket: cfg.Bucket, prefix: cfg.Prefix, partSize: partSize}
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		return nil, err
	}
	s.removeStaleTemps(ctx, time.Now().Add(-StaleTempAge))
	return s, nil
}

func (s *S3) ensureBucket(ctx context.Context, region string) error {
	ok, err := s.core.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.mapErr("bucket exists", s.bucket, err)
	}
	if ok {
		return nil
	}
	err = s.core.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if err != nil {
		// Another process may have created it between the two calls.
		if code := minio.ToErrorResponse(err).Code; code == minio.BucketAlreadyOwnedByYou || code == "BucketAlreadyExists" {
			return nil
		}
		return s.mapErr("make bucket", s.bucket, err)
	}
	return nil
}

// Bucket returns the name of the store's bucket.
func (s *S3) Bucket() string { return s.bucket }

// key returns the object key of a valid id.
func (s *S3) key(id ID) string { return s.prefix + id[:2] + "/" + id }

func (s *S3) tmpPrefix() string { return s.prefix + "tmp/" }

// Open implements Store with one ranged GET (minio-go's Core.GetObject sends
// it at once, unlike Client.GetObject, which is lazy and would report a
// missing blob only on the first Read).
func (s *S3) Open(ctx context.Context, id ID, offset, length int64) (io.ReadCloser, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	if err := checkRange(offset); err != nil {
		return nil, err
	}
	if length == 0 {
		return s.emptyIfExists(ctx, id)
	}
	var opts minio.GetObjectOptions
	var err error
	switch {
	case length > 0 && offset <= math.MaxInt64-length:
		err = opts.SetRange(offset, offset+length-1) // "bytes=off-end", inclusive
	case offset > 0: // to the end (length < 0, or so large it overflows)
		err = opts.SetRange(offset, 0) // "bytes=off-"
	}
	if err != nil {
		return nil, fmt.Errorf("blobstore: s3 open %s: %w", id, err)
	}
	body, _, _, err := s.core.GetObject(ctx, s.bucket, s.key(id), opts)
	if err != nil {
		// 416: the range starts at or past the end, which the Store
		// contract truncates to nothing rather than failing, provided the
		// blob exists.
		if resp := minio.ToErrorResponse(err); resp.Code == minio.InvalidRange || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			return s.emptyIfExists(ctx, id)
		}
		return nil, s.mapErr("open", id, err)
	}
	return body, nil
}

func (s *S3) emptyIfExists(ctx context.Context, id ID) (io.ReadCloser, error) {
	if _, err := s.Stat(ctx, id); err != nil {
		return nil, err
	}
	return io.NopCloser(strings.NewReader("")), nil
}

// Stat implements Store with a HEAD request.
func (s *S3) Stat(ctx context.Context, id ID) (int64, error) {
	if err := CheckID(id); err != nil {
		return 0, err
	}
	info, err := s.core.StatObject(ctx, s.bucket, s.key(id), minio.StatObjectOptions{})
	if err != nil {
		return 0, s.mapErr("stat", id, err)
	}
	return info.Size, nil
}

// Delete implements Store. S3 DELETE of a missing key succeeds already.
func (s *S3) Delete(ctx context.Context, id ID) error {
	if err := CheckID(id); err != nil {
		return err
	}
	if err := s.core.RemoveObject(ctx, s.bucket, s.key(id), minio.RemoveObjectOptions{}); err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil
		}
		return s.mapErr("delete", id, err)
	}
	return nil
}

// mapErr maps an S3 or transport error once for callers: a missing key is
// base.ErrNoSuchBlob; a server-side (5xx) or transport failure also matches
// base.ErrUnavailable; context errors stay matchable with errors.Is.
func (s *S3) mapErr(op, what string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey:
		return fmt.Errorf("blobstore: s3 %s %s: %w", op, what, base.ErrNoSuchBlob)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("blobstore: s3 %s %s: %w", op, what, err)
	case resp.StatusCode >= 500 || resp.Code == "":
		return fmt.Errorf("blobstore: s3 %s %s: %w: %w", op, what, base.ErrUnavailable, err)
	}
	return fmt.Errorf("blobstore: s3 %s %s: %w", op, what, err)
}
