package metadata

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// RPCMetrics counts the RPCs a metadata node's gRPC server handles, by
// method and gRPC status code, and their latency by method. It works
// through interceptors (ServerOptions), so handlers stay free of metrics.
// The method label is bounded: gRPC answers an unknown method itself,
// before any interceptor runs.
type RPCMetrics struct {
	handled *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// NewRPCMetrics creates the families and registers them with reg (nil:
// nowhere). Registering twice on one registry panics.
func NewRPCMetrics(reg prometheus.Registerer) *RPCMetrics {
	m := &RPCMetrics{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbus_grpc_server_handled_total",
			Help: "RPCs completed by the metadata node's gRPC server, by method and gRPC status code.",
		}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "postbus_grpc_server_handling_seconds",
			Help: "Latency of the metadata node's RPCs by method (streams: until the stream ends).",
			// 50 µs (a point read) to 60 s (a shard handoff stream).
			Buckets: prometheus.ExponentialBucketsRange(0.00005, 60, 16),
		}, []string{"method"}),
	}
	if reg != nil {
		reg.MustRegister(m.handled, m.latency)
	}
	return m
}

// ServerOptions returns the interceptors as server options. Put them
// first, before other interceptors (cluster.ServerOptions), so that
// requests those refuse (a shard not owned here) are counted too.
func (m *RPCMetrics) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(m.unary),
		grpc.ChainStreamInterceptor(m.stream),
	}
}

// Interceptors returns the interceptors ServerOptions installs, for a
// server reached without gRPC (metadata/inproc).
func (m *RPCMetrics) Interceptors() (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	return m.unary, m.stream
}

func (m *RPCMetrics) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	m.observe(info.FullMethod, start, err)
	return resp, err
}

func (m *RPCMetrics) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	err := handler(srv, ss)
	m.observe(info.FullMethod, start, err)
	return err
}

func (m *RPCMetrics) observe(fullMethod string, start time.Time, err error) {
	method := strings.TrimPrefix(fullMethod, "/")
	m.latency.WithLabelValues(method).Observe(time.Since(start).Seconds())
	// status.Code maps a plain (unmapped) error to Unknown and a context
	// error to Canceled/DeadlineExceeded, as the client will see them.
	m.handled.WithLabelValues(method, status.Code(err).String()).Inc()
}
