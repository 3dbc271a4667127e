package frontend

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/frontend/metrics"
)

// metricValue reads a counter or gauge.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		t.Fatal(err)
	}
	if pb.Counter != nil {
		return pb.Counter.GetValue()
	}
	return pb.Gauge.GetValue()
}

// TestConnectionMetrics: accepted, open and refused connections are
// counted per listener, refusals by the limit that refused them.
func TestConnectionMetrics(t *testing.T) {
	tests := []struct {
		name   string
		limit  func(*Config)
		reason string
	}{
		{"total", func(c *Config) { c.MaxConnections = 1 }, metrics.RefusedMaxConnections},
		{"per IP", func(c *Config) { c.MaxConnectionsPerIP = 1 }, metrics.RefusedMaxPerIP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New(prometheus.NewRegistry())
			e := newEnv(t, tt.limit, func(c *Config) { c.Metrics = m })
			a := e.rawPlain(t)
			a.expect("a1", "NOOP", "OK")
			over, err := net.Dial("tcp", e.imapAddr)
			if err != nil {
				t.Fatal(err)
			}
			over.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, err := bufio.NewReader(over).ReadString('\n')
			over.Close()
			if err != nil || !strings.HasPrefix(line, "* BYE [UNAVAILABLE]") {
				t.Fatalf("second connection: %q, %v; want BYE [UNAVAILABLE]", line, err)
			}
			checks := []struct {
				name string
				m    prometheus.Metric
				want float64
			}{
				{"accepted", m.ConnsAccepted.WithLabelValues(metrics.ListenerSTARTTLS), 1},
				{"open", m.ConnsOpen.WithLabelValues(metrics.ListenerSTARTTLS), 1},
				{"refused", m.ConnsRefused.WithLabelValues(metrics.ListenerSTARTTLS, tt.reason), 1},
				{"NOOP OK", m.Commands.WithLabelValues("NOOP", metrics.ResultOK), 1},
			}
			for _, c := range checks {
				if got := metricValue(t, c.m); got != c.want {
					t.Errorf("%s = %v, want %v", c.name, got, c.want)
				}
			}
			a.expect("a2", "LOGOUT", "OK")
			open := m.ConnsOpen.WithLabelValues(metrics.ListenerSTARTTLS)
			deadline := time.Now().Add(10 * time.Second)
			for metricValue(t, open) != 0 {
				if time.Now().After(deadline) {
					t.Fatalf("open connections %v after LOGOUT, want 0", metricValue(t, open))
				}
				time.Sleep(10 * time.Millisecond)
			}
			if in, out := metricValue(t, m.BytesIn), metricValue(t, m.BytesOut); in < float64(len("a1 NOOP\r\na2 LOGOUT\r\n")) || out == 0 {
				t.Errorf("bytes in %v, out %v", in, out)
			}
		})
	}
}

// TestCommandLabels: the command label is a known name, its UID form, or
// OTHER, so clients cannot create series.
func TestCommandLabels(t *testing.T) {
	tests := []struct {
		name string
		uid  bool
		want string
	}{
		{"FETCH", false, "FETCH"},
		{"FETCH", true, "UID FETCH"},
		{"LOGIN", false, "LOGIN"},
		{"FROBNICATE", false, metrics.OtherCommand},
		{"", false, metrics.OtherCommand},
		{"X" + strings.Repeat("Y", 100), true, metrics.OtherCommand},
	}
	for _, tt := range tests {
		if got := commandLabel(&wire.Command{Name: tt.name, UID: tt.uid}); got != tt.want {
			t.Errorf("commandLabel(%q, uid %v) = %q, want %q", tt.name, tt.uid, got, tt.want)
		}
	}
}
