package gc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/postbus/postbus/blobstore"
)

// DefaultGrace is how old an unreferenced blob must be before it is
// deleted: far longer than any APPEND takes between storing its body and
// committing its message.
const DefaultGrace = 24 * time.Hour

// ErrUnstable is returned when Options.Stable vetoed the sweep.
var ErrUnstable = errors.New("gc: cluster changed during the mark phase; nothing deleted")

// Options configures one pass.
type Options struct {
	// Blobs is the store to sweep. Unless DryRun, it must implement
	// blobstore.ConditionalDeleter (Dir and S3 do).
	Blobs blobstore.Store
	// Sources are the metadata nodes whose messages reference blobs: every
	// node that may hold any shard. Missing one deletes live bodies.
	Sources []Source
	// Grace: only blobs unmodified for this long are deleted (0: DefaultGrace).
	Grace time.Duration
	// DryRun counts what a pass would delete and deletes nothing.
	DryRun bool
	// Stable, if set, is called after every source has taken its snapshot
	// and before anything is deleted; an error ends the pass (ErrUnstable).
	Stable func(ctx context.Context) error
	// Now is the clock (nil: time.Now); Logger nil means slog.Default().
	Now    func() time.Time
	Logger *slog.Logger
}

// Report counts what a pass saw and did.
type Report struct {
	DryRun       bool
	Cutoff       time.Time
	Blobs        int64 // blobs listed
	Bytes        int64 // their size
	Referenced   int64 // listed blobs some message references
	Young        int64 // unreferenced, but modified after Cutoff: kept
	Deleted      int64 // deleted (DryRun: would be deleted)
	DeletedBytes int64
	Spared       int64 // unreferenced and old when listed, refreshed by a Put before deletion: kept
	Missing      int64 // referenced ids the store does not have (bodies lost elsewhere)
	Took         time.Duration
}

func (r Report) String() string {
	verb := "deleted"
	if r.DryRun {
		verb = "would delete"
	}
	return fmt.Sprintf("%d blobs (%d bytes): %d referenced, %d young, %d spared; %s %d blobs (%d bytes); %d referenced blobs missing; took %s",
		r.Blobs, r.Bytes, r.Referenced, r.Young, r.Spared, verb, r.Deleted, r.DeletedBytes, r.Missing, r.Took.Round(time.Millisecond))
}

// Run runs one mark-and-sweep pass (see the package doc).
func Run(ctx context.Context, opts Options) (Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	grace := opts.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	start := now()
	rep := Report{DryRun: opts.DryRun, Cutoff: start.Add(-grace)}
	if opts.Blobs == nil {
		return rep, errors.New("gc: no blob store")
	}
	if _, ok := opts.Blobs.(blobstore.ConditionalDeleter); !ok && !opts.DryRun {
		return rep, fmt.Errorf("%w: %T", blobstore.ErrNoConditionalDelete, opts.Blobs)
	}
	if p, ok := opts.Blobs.(blobstore.GCPreparer); ok && !opts.DryRun {
		if err := p.PrepareGC(ctx); err != nil {
			return rep, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the reference streams on every return
	marks, err := openMerger(ctx, opts.Sources)
	if err != nil {
		return rep, err
	}
	if opts.Stable != nil {
		if err := opts.Stable(ctx); err != nil {
			return rep, fmt.Errorf("%w: %v", ErrUnstable, err)
		}
	}
	var passErr error
	err = blobstore.ListSorted(ctx, opts.Blobs, func(id blobstore.ID, size int64, mt time.Time) bool {
		rep.Blobs++
		rep.Bytes += size
		ref, err := marks.skipTo(id, &rep.Missing)
		if err != nil {
			passErr = err
			return false
		}
		switch {
		case ref:
			rep.Referenced++
			if err := marks.next(); err != nil {
				passErr = err
				return false
			}
			return true
		case !mt.Before(rep.Cutoff):
			rep.Young++
			return true
		case opts.DryRun:
			rep.Deleted++
			rep.DeletedBytes += size
			return true
		}
		deleted, err := blobstore.DeleteIfOlder(ctx, opts.Blobs, id, rep.Cutoff)
		if err != nil {
			passErr = err
			return false
		}
		if deleted {
			rep.Deleted++
			rep.DeletedBytes += size
			log.Debug("gc: deleted blob", "blob", id, "size", size)
		} else {
			rep.Spared++
		}
		return true
	})
	if passErr != nil {
		err = passErr
	}
	if err == nil {
		// Referenced ids after the last listed blob are missing too.
		for marks.cur != "" && err == nil {
			rep.Missing++
			err = marks.next()
		}
	}
	rep.Took = now().Sub(start)
	if err != nil {
		return rep, err
	}
	if rep.Missing > 0 {
		log.Warn("gc: messages reference blobs the store does not have", "missing", rep.Missing)
	}
	return rep, nil
}
