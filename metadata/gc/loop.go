package gc

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Loop runs pass every interval until ctx is done, logging each report.
// The first pass runs one interval after the start, so a restarting
// server does not sweep at once. A failed pass is logged and retried at
// the next tick.
func Loop(ctx context.Context, interval time.Duration, log *slog.Logger, pass func(ctx context.Context) (Report, error)) {
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep, err := pass(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, ErrUnstable):
			log.Info("gc: pass skipped", "err", err)
		case err != nil:
			log.Error("gc: pass failed", "err", err)
		default:
			log.Info("gc: pass done", "blobs", rep.Blobs, "referenced", rep.Referenced, "young", rep.Young,
				"deleted", rep.Deleted, "deleted_bytes", rep.DeletedBytes, "spared", rep.Spared,
				"missing", rep.Missing, "took", rep.Took)
		}
	}
}
