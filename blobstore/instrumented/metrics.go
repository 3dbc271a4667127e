package instrumented

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postbus/postbus/metadata/base"
)

// Operation label values.
const (
	OpPut    = "put"
	OpOpen   = "open"
	OpRead   = "read" // a failed Read of an opened blob
	OpStat   = "stat"
	OpDelete = "delete"
	OpList   = "list"
)

// Result label values.
const (
	ResultOK       = "ok"
	ResultNotFound = "not_found" // base.ErrNoSuchBlob
	ResultTooBig   = "too_big"   // base.ErrTooBig (Put over maxSize)
	ResultInvalid  = "invalid"   // base.ErrInvalidArgument (bad ID, range)
	ResultCanceled = "canceled"  // the caller's context ended
	ResultError    = "error"     // anything else: the store failed
)

// Metrics are the blob store's metric families. One Metrics may serve
// several Stores (they then add up); create it once per registry.
type Metrics struct {
	ops       *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	bytesPut  prometheus.Counter
	bytesRead prometheus.Counter
}

// NewMetrics creates the metric families and registers them with reg; a
// nil reg keeps them unregistered (they still count, for tests).
// Registering twice on one registry panics, as prometheus.MustRegister does.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbus_blob_operations_total",
			Help: "Blob store operations by operation (put, open, read, stat, delete, list) and result.",
		}, []string{"op", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "postbus_blob_operation_duration_seconds",
			Help: "Blob store operation latency by operation (open: until the reader is returned).",
			// 1 ms (local dir) to 30 s (a 25 MiB body to a slow S3).
			Buckets: prometheus.ExponentialBucketsRange(0.001, 30, 14),
		}, []string{"op"}),
		bytesPut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "postbus_blob_put_bytes_total",
			Help: "Bytes stored by successful blob Puts (a duplicate Put counts again).",
		}),
		bytesRead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "postbus_blob_read_bytes_total",
			Help: "Bytes read from opened blobs.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.ops, m.latency, m.bytesPut, m.bytesRead)
	}
	return m
}

// result classifies err into a Result* label value.
func result(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return ResultOK
	case errors.Is(err, base.ErrNoSuchBlob):
		return ResultNotFound
	case errors.Is(err, base.ErrTooBig):
		return ResultTooBig
	case errors.Is(err, base.ErrInvalidArgument):
		return ResultInvalid
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), ctx.Err() != nil:
		return ResultCanceled
	}
	return ResultError
}
