package instrumented

import (
	"context"
	"time"

	"github.com/postbus/postbus/blobstore"
)

// Optional capabilities of the wrapped store, found by type assertion
// (the garbage collector asks for them: blobstore.ConditionalDeleter and
// blobstore.GCPreparer). The wrapper must have exactly the capabilities of
// the store it wraps — a wrapper claiming one its store lacks would make
// the collector start a pass it cannot finish — so New picks one of the
// types below. The interfaces are spelled out by method so that this
// package states what it forwards.
type (
	conditionalDeleter interface {
		DeleteIfOlder(ctx context.Context, id blobstore.ID, cutoff time.Time) (bool, error)
	}
	gcPreparer interface {
		PrepareGC(ctx context.Context) error
	}
)

// Operation labels of the optional capabilities.
const (
	OpDeleteIfOlder = "delete_if_older"
	OpPrepareGC     = "prepare_gc"
)

// New wraps inner; m must not be nil. The result also implements the
// optional interfaces (DeleteIfOlder, PrepareGC) that inner implements,
// and only those.
func New(inner blobstore.Store, m *Metrics) blobstore.Store {
	s := &Store{inner: inner, m: m}
	cd, isCD := inner.(conditionalDeleter)
	gp, isGP := inner.(gcPreparer)
	switch {
	case isCD && isGP:
		return &storeCDGP{s, cdOp{s, cd}, gpOp{s, gp}}
	case isCD:
		return &storeCD{s, cdOp{s, cd}}
	case isGP:
		return &storeGP{s, gpOp{s, gp}}
	}
	return s
}

type cdOp struct {
	s     *Store
	inner conditionalDeleter
}

// DeleteIfOlder forwards to the inner store's DeleteIfOlder.
func (c cdOp) DeleteIfOlder(ctx context.Context, id blobstore.ID, cutoff time.Time) (bool, error) {
	start := time.Now()
	ok, err := c.inner.DeleteIfOlder(ctx, id, cutoff)
	c.s.observe(ctx, OpDeleteIfOlder, start, err)
	return ok, err
}

type gpOp struct {
	s     *Store
	inner gcPreparer
}

// PrepareGC forwards to the inner store's PrepareGC.
func (g gpOp) PrepareGC(ctx context.Context) error {
	start := time.Now()
	err := g.inner.PrepareGC(ctx)
	g.s.observe(ctx, OpPrepareGC, start, err)
	return err
}

type (
	storeCD struct {
		*Store
		cdOp
	}
	storeGP struct {
		*Store
		gpOp
	}
	storeCDGP struct {
		*Store
		cdOp
		gpOp
	}
)

var (
	_ conditionalDeleter = (*storeCD)(nil)
	_ gcPreparer         = (*storeGP)(nil)
	_ conditionalDeleter = (*storeCDGP)(nil)
	_ gcPreparer         = (*storeCDGP)(nil)
	_ blobstore.Store    = (*storeCDGP)(nil)
)
