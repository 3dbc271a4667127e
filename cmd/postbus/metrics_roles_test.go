package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/cluster/embedded"
)

// TestRoleMetrics: the metadata and frontend roles serve /metrics with
// their own families; a metadata node reports its etcd session, the shards
// it owns and the handoffs it takes part in when a second node joins.
func TestRoleMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	etcd, err := embedded.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	eps := strings.Join(etcd.Endpoints, ",")
	dir := t.TempDir()
	startNode := func(name string) *proc {
		return startRole(t, "postbus: metadata ready ", "metadata", "--etcd", eps, "--data", filepath.Join(dir, name),
			"--listen", "127.0.0.1:0", "--node-id", name, "--shards", "8", "--assign-delay", "0s", "--max-moves", "4",
			"--http-addr", "127.0.0.1:0", "--log-format", "json")
	}
	m1 := startNode("m1")
	cli, err := (&embedded.Etcd{Endpoints: etcd.Endpoints}).Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	w, err := cluster.Watch(ctx, cli, "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.WaitFor(ctx, func(m *cluster.ShardMap) bool { return m.Complete() && len(m.Owned("m1")) == 8 }); err != nil {
		t.Fatal(err)
	}
	waitGauge(t, m1.fields["http"], 8, "postbus_cluster_shards_serving")
	mfs := scrapeMetrics(t, m1.fields["http"])
	for _, tt := range []struct {
		name string
		want float64
	}{
		{"postbus_cluster_session_up", 1},
		{"postbus_cluster_shards_owned", 8},
		{"postbus_cluster_shards_total", 8},
		{"postbus_cluster_nodes", 1},
	} {
		if got := metricValue(mfs, tt.name); got != tt.want {
			t.Errorf("m1 %s = %v, want %v", tt.name, got, tt.want)
		}
	}
	if metricValue(mfs, "postbus_pebble_disk_usage_bytes") <= 0 {
		t.Error("m1: no Pebble disk usage")
	}
	for name := range mfs {
		if strings.HasPrefix(name, "postbus_imap_") {
			t.Errorf("metadata role exports IMAP family %s", name)
		}
	}

	fe := startRole(t, "postbus: frontend ready ", "frontend", "--etcd", eps, "--data", filepath.Join(dir, "fe"),
		"--imaps-addr", "127.0.0.1:0", "--imap-addr", "", "--http-addr", "127.0.0.1:0", "--log-format", "json")
	fmfs := scrapeMetrics(t, fe.fields["http"])
	for _, name := range []string{"postbus_imap_idle_sessions", "postbus_blob_put_bytes_total", "go_goroutines"} {
		if fmfs[name] == nil {
			t.Errorf("frontend role lacks %s", name)
		}
	}
	for name := range fmfs {
		if strings.HasPrefix(name, "postbus_pebble_") || strings.HasPrefix(name, "postbus_cluster_") || strings.HasPrefix(name, "postbus_grpc_server_") {
			t.Errorf("frontend role exports metadata family %s", name)
		}
	}

	// A second node joins: half the shards move from m1 to m2.
	m2 := startNode("m2")
	if err := w.WaitFor(ctx, func(m *cluster.ShardMap) bool {
		return m.Complete() && len(m.Owned("m1")) == 4 && len(m.Owned("m2")) == 4
	}); err != nil {
		t.Fatal(err)
	}
	waitGauge(t, m1.fields["http"], 4, "postbus_cluster_shards_owned")
	waitGauge(t, m1.fields["http"], 2, "postbus_cluster_nodes")
	waitGauge(t, m2.fields["http"], 4, "postbus_cluster_shards_serving")
	// The receiver counts each transfer as a ReceiveShard RPC.
	m2mfs := scrapeMetrics(t, m2.fields["http"])
	if got := metricValue(m2mfs, "postbus_grpc_server_handled_total", "method", "postbus.cluster.v1.Cluster/ReceiveShard", "code", "OK"); got < 4 {
		t.Errorf("m2 received %v shards over ReceiveShard, want ≥ 4", got)
	}
	// Handoffs are counted from the map; each of the four moves shows a
	// "moving" entry for at least the time of a shard transfer.
	var out float64
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out = metricValue(scrapeMetrics(t, m1.fields["http"]), "postbus_cluster_handoffs_total", "direction", "out", "result", "completed")
		if out >= 1 || time.Now().After(deadline) {
			break
		}
	}
	in := metricValue(m2mfs, "postbus_cluster_handoffs_total", "direction", "in", "result", "completed")
	if out < 1 || out > 4 || in > 4 {
		t.Errorf("handoffs completed: m1 out %v, m2 in %v; want 1..4 out", out, in)
	}
	t.Logf("handoffs seen: m1 out %v, m2 in %v", out, in)

	// --log-format json: every line any part of a role writes is JSON.
	for name, p := range map[string]*proc{"m1": m1, "m2": m2, "frontend": fe} {
		p.stop()
		for i, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("%s log line %d is not JSON: %s", name, i+1, line)
			}
		}
	}
}
