package instrumented

import (
	"context"
	"io"
	"time"

	"github.com/postbus/postbus/blobstore"
)

// Store is a blobstore.Store that records metrics about an inner Store.
type Store struct {
	inner blobstore.Store
	m     *Metrics
}

var _ blobstore.Store = (*Store)(nil)

// Unwrap returns the wrapped store.
func (s *Store) Unwrap() blobstore.Store { return s.inner }

// observe records one finished operation.
func (s *Store) observe(ctx context.Context, op string, start time.Time, err error) {
	s.m.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
	s.m.ops.WithLabelValues(op, result(ctx, err)).Inc()
}

// Put implements blobstore.Store.
func (s *Store) Put(ctx context.Context, r io.Reader, maxSize int64) (blobstore.ID, int64, error) {
	start := time.Now()
	id, n, err := s.inner.Put(ctx, r, maxSize)
	s.observe(ctx, OpPut, start, err)
	if err == nil {
		s.m.bytesPut.Add(float64(n))
	}
	return id, n, err
}

// Open implements blobstore.Store; the reader counts the bytes read.
func (s *Store) Open(ctx context.Context, id blobstore.ID, offset, length int64) (io.ReadCloser, error) {
	start := time.Now()
	rc, err := s.inner.Open(ctx, id, offset, length)
	s.observe(ctx, OpOpen, start, err)
	if err != nil {
		return nil, err
	}
	return &reader{s: s, ctx: ctx, rc: rc}, nil
}

// reader counts what is read through it; a Read error other than io.EOF is
// one failed "read" operation.
type reader struct {
	s   *Store
	ctx context.Context
	rc  io.ReadCloser
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if n > 0 {
		r.s.m.bytesRead.Add(float64(n))
	}
	if err != nil && err != io.EOF {
		r.s.m.ops.WithLabelValues(OpRead, result(r.ctx, err)).Inc()
	}
	return n, err
}

func (r *reader) Close() error { return r.rc.Close() }

// Stat implements blobstore.Store.
func (s *Store) Stat(ctx context.Context, id blobstore.ID) (int64, error) {
	start := time.Now()
	n, err := s.inner.Stat(ctx, id)
	s.observe(ctx, OpStat, start, err)
	return n, err
}

// Delete implements blobstore.Store.
func (s *Store) Delete(ctx context.Context, id blobstore.ID) error {
	start := time.Now()
	err := s.inner.Delete(ctx, id)
	s.observe(ctx, OpDelete, start, err)
	return err
}

// List implements blobstore.Store; its duration includes fn's time, which
// is the caller's (the garbage collector's) work.
func (s *Store) List(ctx context.Context, fn func(id blobstore.ID, size int64, modTime time.Time) bool) error {
	start := time.Now()
	err := s.inner.List(ctx, fn)
	s.observe(ctx, OpList, start, err)
	return err
}
