package blobstore_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/blobstore/blobstoretest"
	"github.com/postbus/postbus/blobstore/s3test"
	"github.com/postbus/postbus/metadata/base"
)

var bucketSeq atomic.Int64

// newS3 opens a store in a fresh bucket of the server cfg points at.
func newS3(t testing.TB, cfg blobstore.S3Config) *blobstore.S3 {
	t.Helper()
	cfg.Bucket = cfg.Bucket + "-" + string(rune('a'+bucketSeq.Add(1)%26)) + strings.Repeat("x", int(bucketSeq.Load()/26))
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
	newS3(t, cfg) // the bucket exists; the refusal below is about auth
	bad := cfg
	bad.SecretKey = "not-" + cfg.SecretKey
	_, err := blobstore.NewS3(context.Background(), bad)
	if err == nil {
		t.Fatal("NewS3 with a wrong secret key succeeded")
	}
	if !strings.Contains(err.Error(), "SignatureDoesNotMatch") && !strings.Contains(err.Error(), "Access Denied") && !strings.Contains(err.Error(), "signature") {
		t.Fatalf("NewS3 with a wrong secret key: %v; want a signature refusal", err)
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
