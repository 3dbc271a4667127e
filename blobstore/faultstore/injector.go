package faultstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata/base"
)

// ErrInjected is the default injected error. It matches base.ErrUnavailable,
// because a failing blob store looks unavailable to its callers; inject
// another error with Error to test other mappings.
var ErrInjected = fmt.Errorf("faultstore: injected error: %w", base.ErrUnavailable)

// OpKind names an operation of the Store.
type OpKind uint8

const (
	OpPut    OpKind = iota // before the inner Put: fails with nothing stored
	OpPutAck               // after a successful inner Put: stored, but reported failed
	OpOpen
	OpRead // each Read on a reader returned by Open
	OpStat
	OpDelete
	OpList
	numOps
)

var opNames = [numOps]string{"put", "put-ack", "open", "read", "stat", "delete", "list"}

func (k OpKind) String() string {
	if k < numOps {
		return opNames[k]
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Op describes one operation about to happen.
type Op struct {
	Kind OpKind
	// ID is the blob concerned; empty for OpPut and OpList (for OpPutAck it
	// is the ID the inner Put returned).
	ID blobstore.ID
	// Offset is the offset asked of Open (OpOpen) or the position in the
	// blob of the next Read (OpRead).
	Offset int64
}

// Injector decides the fate of each operation.
type Injector interface {
	// MaybeInject returns an error to fail op with, or nil to let it run. It
	// may block to add latency, and then returns ctx.Err() if ctx ends first.
	// It is called concurrently.
	MaybeInject(ctx context.Context, op Op) error
}

// InjectorFunc adapts a function to Injector.
type InjectorFunc func(ctx context.Context, op Op) error

// MaybeInject implements Injector.
func (f InjectorFunc) MaybeInject(ctx context.Context, op Op) error { return f(ctx, op) }

// Error fails every operation it sees with err (ErrInjected if err is nil).
func Error(err error) Injector {
	if err == nil {
		err = ErrInjected
	}
	return InjectorFunc(func(context.Context, Op) error { return err })
}

// On applies inj only to operations of the given kinds.
func On(inj Injector, kinds ...OpKind) Injector {
	return If(func(op Op) bool { return slices.Contains(kinds, op.Kind) }, inj)
}

// If applies inj only to operations for which pred is true.
func If(pred func(Op) bool, inj Injector) Injector {
	return InjectorFunc(func(ctx context.Context, op Op) error {
		if !pred(op) {
			return nil
		}
		return inj.MaybeInject(ctx, op)
	})
}

// Nth applies inj only to the n-th operation it sees (1-based): wrap it in
// On to count one kind. Later operations pass.
func Nth(n int64, inj Injector) Injector {
	var seen atomic.Int64
	return InjectorFunc(func(ctx context.Context, op Op) error {
		if seen.Add(1) != n {
			return nil
		}
		return inj.MaybeInject(ctx, op)
	})
}

// After lets the first n operations it sees pass and applies inj to every
// later one ("the disk fills up after n writes").
func After(n int64, inj Injector) Injector {
	var seen atomic.Int64
	return InjectorFunc(func(ctx context.Context, op Op) error {
		if seen.Add(1) <= n {
			return nil
		}
		return inj.MaybeInject(ctx, op)
	})
}

// Randomly applies inj to each operation with probability p, drawn from a
// generator seeded with seed, so a failing run can be replayed (given the
// same order of operations).
func Randomly(p float64, seed uint64, inj Injector) Injector {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return InjectorFunc(func(ctx context.Context, op Op) error {
		mu.Lock()
		hit := rng.Float64() < p
		mu.Unlock()
		if !hit {
			return nil
		}
		return inj.MaybeInject(ctx, op)
	})
}

// Latency delays every operation it sees by d, or until ctx is done (then
// failing it with ctx's error).
func Latency(d time.Duration) Injector {
	return InjectorFunc(func(ctx context.Context, _ Op) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// Chain runs the injectors in order and returns the first error, so
// Chain(Latency(d), On(Error(nil), OpStat)) delays everything and fails Stat.
func Chain(injs ...Injector) Injector {
	return InjectorFunc(func(ctx context.Context, op Op) error {
		for _, inj := range injs {
			if err := inj.MaybeInject(ctx, op); err != nil {
				return err
			}
		}
		return nil
	})
}
