package blobstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/blobstore/blobstoretest"
	"github.com/postbus/postbus/blobstore/s3test"
	"github.com/postbus/postbus/metadata/base"
)

var bucketSeq atomic.Int64

// newS3 opens a store in a fresh bucket of the server cfg points at.
func newS3(t testing.TB, cfg blobstore.S3Config) *blobstore.S3 {
	t.Helper()
	cfg.Bucket = fmt.Sprintf("%s-%d", cfg.Bucket, bucketSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := blobstore.NewS3(ctx, cfg)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	return s
}

func TestS3Conformance(t *testing.T) {
	cfg := s3test.Start(t)
	// PartSize at the S3 minimum so the 9 MiB and 20 MB cases go through
	// multipart uploads of several parts.
	cfg.PartSize = blobstore.MinPartSize
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store { return newS3(t, cfg) })
}

func TestS3ConformanceWithPrefix(t *testing.T) {
	cfg := s3test.Start(t)
	cfg.Prefix = "mail/blobs/"
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store { return newS3(t, cfg) })
}

// The server checks signatures: a wrong secret key is refused, so the
// conformance run above really exercised signed requests.
func TestS3WrongSecretRefused(t *testing.T) {
	cfg := s3test.Start(t)
	cfg.Bucket = "exists"
	if _, err := blobstore.NewS3(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	bad := cfg
	bad.SecretKey = "not-" + cfg.SecretKey
	_, err := blobstore.NewS3(context.Background(), bad)
	if err == nil {
		t.Fatal("NewS3 with a wrong secret key succeeded")
	}
	// NewS3's first request is a HEAD, whose refusal has no body to name
	// the reason: minio-go reports it as AccessDenied.
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) || resp.StatusCode != 403 {
		t.Fatalf("NewS3 with a wrong secret key: %v; want a 403", err)
	}
	// A request with a body says why.
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(bad.AccessKey, bad.SecretKey, ""),
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.PutObject(context.Background(), cfg.Bucket, "k", strings.NewReader("v"), 1, minio.PutObjectOptions{})
	if resp := minio.ToErrorResponse(err); resp.Code != "SignatureDoesNotMatch" {
		t.Fatalf("PUT with a wrong secret key: %v; want SignatureDoesNotMatch", err)
	}
	bad = cfg
	bad.AccessKey = "nobody"
	if _, err := blobstore.NewS3(context.Background(), bad); !errors.As(err, &resp) || resp.StatusCode/100 != 4 {
		t.Fatalf("NewS3 with an unknown access key: %v; want a 4xx refusal", err)
	}
}

// Two stores with different prefixes in one bucket do not see each other's
// blobs.
func TestS3PrefixesAreSeparate(t *testing.T) {
	cfg := s3test.Start(t)
	cfg.Bucket = "shared"
	a, b := cfg, cfg
	a.Prefix, b.Prefix = "a/", "b/"
	sa, err := blobstore.NewS3(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := blobstore.NewS3(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := sa.Put(context.Background(), strings.NewReader("only in a"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Stat(context.Background(), id); !errors.Is(err, base.ErrNoSuchBlob) {
		t.Fatalf("Stat in the other prefix = %v, want ErrNoSuchBlob", err)
	}
	n := 0
	if err := sb.List(context.Background(), func(string, int64, time.Time) bool { n++; return true }); err != nil || n != 0 {
		t.Fatalf("List of the other prefix: %d blobs, %v", n, err)
	}
}

func TestNewS3RejectsBadConfig(t *testing.T) {
	for _, cfg := range []blobstore.S3Config{
		{},
		{Endpoint: "127.0.0.1:1"},
		{Endpoint: "http://127.0.0.1:1", Bucket: "b"},
		{Endpoint: "127.0.0.1:1", Bucket: "b", PartSize: 1 << 20},
	} {
		if _, err := blobstore.NewS3(context.Background(), cfg); !errors.Is(err, base.ErrInvalidArgument) {
			t.Errorf("NewS3(%+v) = %v, want ErrInvalidArgument", cfg, err)
		}
	}
}

// An unreachable service is reported as base.ErrUnavailable, which callers
// map to a retryable failure, not as a missing blob.
func TestS3UnreachableIsUnavailable(t *testing.T) {
	cfg, stop, err := s3test.StartProcess(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cfg.MaxRetries = 1
	s := newS3(t, cfg)
	id, _, err := s.Put(context.Background(), strings.NewReader("x"), 0)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.Stat(ctx, id); !errors.Is(err, base.ErrUnavailable) {
		t.Errorf("Stat with the service down = %v, want ErrUnavailable", err)
	}
	if _, err := s.Open(ctx, id, 0, -1); !errors.Is(err, base.ErrUnavailable) {
		t.Errorf("Open with the service down = %v, want ErrUnavailable", err)
	}
	if _, _, err := s.Put(ctx, strings.NewReader("y"), 0); !errors.Is(err, base.ErrUnavailable) {
		t.Errorf("Put with the service down = %v, want ErrUnavailable", err)
	}
}

// NewS3's sweep removes temp objects and aborts multipart uploads left under
// tmp/ by crashed Puts, and only those older than the cut-off.
func TestS3RemovesStaleTemps(t *testing.T) {
	ctx := context.Background()
	cfg := s3test.Start(t)
	cfg.Prefix = "p/"
	s := newS3(t, cfg)
	id, _, err := s.Put(ctx, strings.NewReader("a blob, not a temp"), 0)
	if err != nil {
		t.Fatal(err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	core := minio.Core{Client: client}
	if _, err := client.PutObject(ctx, s.Bucket(), "p/tmp/leftover", strings.NewReader("partial"), 7, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := core.NewMultipartUpload(ctx, s.Bucket(), "p/tmp/unfinished", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	temps := func() (objects, uploads int) {
		for obj := range client.ListObjects(ctx, s.Bucket(), minio.ListObjectsOptions{Prefix: "p/tmp/", Recursive: true}) {
			if obj.Err != nil {
				t.Fatal(obj.Err)
			}
			objects++
		}
		for up := range client.ListIncompleteUploads(ctx, s.Bucket(), "p/tmp/", true) {
			if up.Err != nil {
				t.Fatal(up.Err)
			}
			uploads++
		}
		return objects, uploads
	}

	s.RemoveStaleTempsBefore(ctx, time.Now().Add(-time.Hour))
	if o, u := temps(); o != 1 || u != 1 {
		t.Fatalf("fresh temps: %d objects, %d uploads left; want 1, 1", o, u)
	}
	s.RemoveStaleTempsBefore(ctx, time.Now().Add(time.Minute))
	if o, u := temps(); o != 0 || u != 0 {
		t.Fatalf("stale temps: %d objects, %d uploads left; want none", o, u)
	}
	if _, err := s.Stat(ctx, id); err != nil {
		t.Fatalf("the sweep touched a blob: %v", err)
	}
}
