package blobstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"testing"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/blobstore/s3test"
)

var benchSizes = []int{4 << 10, 64 << 10}

func BenchmarkDirPut(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) { benchPut(b, newBenchDir(b), size) })
	}
}

func BenchmarkDirOpen(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) { benchOpen(b, newBenchDir(b), size) })
	}
}

func BenchmarkS3Put(b *testing.B) {
	cfg := s3test.Start(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) { benchPut(b, newS3(b, cfg), size) })
	}
}

func BenchmarkS3Open(b *testing.B) {
	cfg := s3test.Start(b)
	for _, size := range benchSizes {
		b.Run(sizeName(size), func(b *testing.B) { benchOpen(b, newS3(b, cfg), size) })
	}
}

func newBenchDir(b *testing.B) *blobstore.Dir {
	d, err := blobstore.NewDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func sizeName(n int) string { return fmt.Sprintf("%dKiB", n>>10) }

// benchPut stores a distinct blob per iteration (a counter in its first
// bytes), so every Put does the full write, never the dedup shortcut.
func benchPut(b *testing.B, s blobstore.Store, size int) {
	ctx := context.Background()
	buf := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	var r bytes.Reader
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var i uint64
	for b.Loop() {
		i++
		binary.LittleEndian.PutUint64(buf, i)
		r.Reset(buf)
		if _, _, err := s.Put(ctx, &r, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// benchOpen reads whole blobs, cycling through a set stored beforehand.
func benchOpen(b *testing.B, s blobstore.Store, size int) {
	ctx := context.Background()
	buf := bytes.Repeat([]byte("fedcba9876543210"), size/16)
	ids := make([]blobstore.ID, 64)
	for i := range ids {
		binary.LittleEndian.PutUint64(buf, uint64(i))
		id, _, err := s.Put(ctx, bytes.NewReader(buf), 0)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		rc, err := s.Open(ctx, ids[i%len(ids)], 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != int64(size) {
			b.Fatalf("read %d bytes, %v", n, err)
		}
		i++
	}
}
