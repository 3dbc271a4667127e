package faultstore

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/postbus/postbus/blobstore"
)

// Store is a blobstore.Store that injects faults into an inner Store.
type Store struct {
	inner    blobstore.Store
	inj      atomic.Pointer[holder]
	calls    [numOps]atomic.Int64
	injected [numOps]atomic.Int64
}

// holder lets atomic.Pointer hold an interface, including none.
type holder struct{ Injector }

var _ blobstore.Store = (*Store)(nil)

// New wraps inner; inj may be nil (no faults until SetInjector).
func New(inner blobstore.Store, inj Injector) *Store {
	s := &Store{inner: inner}
	s.SetInjector(inj)
	return s
}

// SetInjector replaces the injector (nil: no faults) for operations that
// start from now on; it is safe to call while the Store is in use, e.g. to
// store fixtures first and then fail.
func (s *Store) SetInjector(inj Injector) {
	s.inj.Store(&holder{inj})
}

// Unwrap returns the wrapped store, to inspect what really was stored.
func (s *Store) Unwrap() blobstore.Store { return s.inner }

// Calls returns how many operations of kind k were attempted.
func (s *Store) Calls(k OpKind) int64 { return s.calls[k].Load() }

// Injected returns how many operations of kind k failed by injection.
func (s *Store) Injected(k OpKind) int64 { return s.injected[k].Load() }

// check consults the injector for op and wraps an injected error.
func (s *Store) check(ctx context.Context, op Op) error {
	s.calls[op.Kind].Add(1)
	h := s.inj.Load()
	if h.Injector == nil {
		return nil
	}
	if err := h.MaybeInject(ctx, op); err != nil {
		s.injected[op.Kind].Add(1)
		if op.ID != "" {
			return fmt.Errorf("faultstore: %s %s: %w", op.Kind, op.ID, err)
		}
		return fmt.Errorf("faultstore: %s: %w", op.Kind, err)
	}
	return nil
}

// Put implements blobstore.Store.
func (s *Store) Put(ctx context.Context, r io.Reader, maxSize int64) (blobstore.ID, int64, error) {
	if err := s.check(ctx, Op{Kind: OpPut}); err != nil {
		return "", 0, err
	}
	id, n, err := s.inner.Put(ctx, r, maxSize)
	if err != nil {
		return "", 0, err
	}
	if err := s.check(ctx, Op{Kind: OpPutAck, ID: id}); err != nil {
		return "", 0, err
	}
	return id, n, nil
}

// Open implements blobstore.Store; the reader consults the injector before
// every Read.
func (s *Store) Open(ctx context.Context, id blobstore.ID, offset, length int64) (io.ReadCloser, error) {
	if err := s.check(ctx, Op{Kind: OpOpen, ID: id, Offset: offset}); err != nil {
		return nil, err
	}
	rc, err := s.inner.Open(ctx, id, offset, length)
	if err != nil {
		return nil, err
	}
	return &reader{s: s, ctx: ctx, id: id, off: offset, rc: rc}, nil
}

type reader struct {
	s   *Store
	ctx context.Context
	id  blobstore.ID
	off int64
	rc  io.ReadCloser
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.s.check(r.ctx, Op{Kind: OpRead, ID: r.id, Offset: r.off}); err != nil {
		return 0, err
	}
	n, err := r.rc.Read(p)
	r.off += int64(n)
	return n, err
}

func (r *reader) Close() error { return r.rc.Close() }

// Stat implements blobstore.Store.
func (s *Store) Stat(ctx context.Context, id blobstore.ID) (int64, error) {
	if err := s.check(ctx, Op{Kind: OpStat, ID: id}); err != nil {
		return 0, err
	}
	return s.inner.Stat(ctx, id)
}

// Delete implements blobstore.Store.
func (s *Store) Delete(ctx context.Context, id blobstore.ID) error {
	if err := s.check(ctx, Op{Kind: OpDelete, ID: id}); err != nil {
		return err
	}
	return s.inner.Delete(ctx, id)
}

// List implements blobstore.Store.
func (s *Store) List(ctx context.Context, fn func(id blobstore.ID, size int64, modTime time.Time) bool) error {
	if err := s.check(ctx, Op{Kind: OpList}); err != nil {
		return err
	}
	return s.inner.List(ctx, fn)
}
