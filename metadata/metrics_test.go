package metadata

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/postbus/postbus/proto/metadatapb"
)

// family returns the gathered family called name, or nil.
func family(t *testing.T, reg *prometheus.Registry, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

// sample returns the value (counter, gauge) or sample count (histogram) of
// the series of family name with the given label pairs; -1 if absent.
func sample(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mf := family(t, reg, name)
	if mf == nil {
		return -1
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if got[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func TestRPCMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	rm := NewRPCMetrics(reg)
	n := openNode(t, t.TempDir(), 16)
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(rm.ServerOptions()...)
	metadatapb.RegisterMetadataServer(srv, n)
	go srv.Serve(lis)
	defer func() { srv.Stop(); n.Close() }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := metadatapb.NewMetadataClient(conn)
	ctx := context.Background()

	must(c.CreateUser(ctx, &metadatapb.CreateUserRequest{User: "alice", Password: "pw"}))
	if _, err := c.CreateUser(ctx, &metadatapb.CreateUserRequest{User: "alice", Password: "pw"}); err == nil {
		t.Fatal("second CreateUser succeeded")
	}
	if _, err := c.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: "nobody", Name: "INBOX"}); err == nil {
		t.Fatal("GetMailbox of a missing user succeeded")
	}
	// A server stream, counted when it ends.
	st, err := c.Fetch(ctx, &metadatapb.FetchRequest{User: "alice", MailboxId: 1})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := st.Recv(); err != nil {
			if err != io.EOF {
				t.Logf("fetch stream ended: %v", err)
			}
			break
		}
	}

	const svc = "postbus.metadata.v1.Metadata/"
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"postbus_grpc_server_handled_total", []string{"method", svc + "CreateUser", "code", "OK"}, 1},
		{"postbus_grpc_server_handled_total", []string{"method", svc + "CreateUser", "code", "AlreadyExists"}, 1},
		{"postbus_grpc_server_handled_total", []string{"method", svc + "GetMailbox", "code", "NotFound"}, 1},
		{"postbus_grpc_server_handling_seconds", []string{"method", svc + "CreateUser"}, 2},
		{"postbus_grpc_server_handling_seconds", []string{"method", svc + "Fetch"}, 1},
	}
	for _, tt := range tests {
		if got := sample(t, reg, tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}

func TestPebbleCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t)
	reg.MustRegister(NewPebbleCollector(e.node))
	e.createUser(t, "bob")
	if got := sample(t, reg, "postbus_pebble_disk_usage_bytes"); got <= 0 {
		t.Errorf("disk usage %v, want > 0", got)
	}
	if got := sample(t, reg, "postbus_pebble_wal_bytes_in_total"); got <= 0 {
		t.Errorf("WAL bytes in %v, want > 0 after a write", got)
	}
	if mf := family(t, reg, "postbus_pebble_tables"); mf == nil || len(mf.GetMetric()) != 7 {
		t.Errorf("tables per level: %v, want 7 levels", mf)
	}
	if got := sample(t, reg, "postbus_pebble_wal_fsync_duration_seconds"); got < 1 {
		t.Errorf("WAL fsyncs %v, want ≥ 1 after a synced write", got)
	}
	if got := sample(t, reg, "postbus_pebble_read_amplification"); got < 0 {
		t.Errorf("read amplification missing")
	}
	e.stop()
	if mfs, err := reg.Gather(); err != nil || len(mfs) != 0 {
		t.Errorf("after Close: %d families, %v; want none", len(mfs), err)
	}
}
