package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/blobstore/instrumented"
	femetrics "github.com/postbus/postbus/frontend/metrics"
	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/cluster"
)

// roleMetrics is one process's Prometheus registry and the metric families
// of the parts it runs, served as GET /metrics on --http-addr. A registry
// per process (not the global default) lets tests run several roles in one
// process. The families are listed in README.md ("Metrics and logs").
type roleMetrics struct {
	reg      *prometheus.Registry
	frontend *femetrics.Metrics // nil until fe is called
}

// newRoleMetrics returns a registry with the process and Go runtime
// collectors.
func newRoleMetrics() *roleMetrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	)
	return &roleMetrics{reg: reg}
}

// blobs wraps a role's blob store so that its operations are counted.
// Call it once per process: the families are registered once.
func (r *roleMetrics) blobs(s blobstore.Store) blobstore.Store {
	return instrumented.New(s, instrumented.NewMetrics(r.reg))
}

// fe returns the IMAP and LMTP families (created on first use).
func (r *roleMetrics) fe() *femetrics.Metrics {
	if r.frontend == nil {
		r.frontend = femetrics.New(r.reg)
	}
	return r.frontend
}

// node registers the metadata node's Pebble collector and returns the
// server options of its RPC metrics, to put before any other options.
func (r *roleMetrics) node(n *metadata.Node) *metadata.RPCMetrics {
	r.reg.MustRegister(metadata.NewPebbleCollector(n))
	return metadata.NewRPCMetrics(r.reg)
}

// member registers a cluster member's gauges and counts its handoffs until
// ctx is done.
func (r *roleMetrics) member(ctx context.Context, m *cluster.Member) {
	cluster.RegisterMetrics(ctx, r.reg, m)
}

// serve adds GET /metrics to the role's HTTP server (nil: no server).
func (r *roleMetrics) serve(hs *healthServer) {
	if hs == nil {
		return
	}
	hs.Handle("GET /metrics", promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg}))
}
