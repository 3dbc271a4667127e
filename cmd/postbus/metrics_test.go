package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrapeMetrics fetches and parses GET /metrics of the server at addr.
func scrapeMetrics(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return mfs
}

// metricValue is the value of the series of family name with the given
// label pairs (a histogram: its sample count); 0 when there is no such
// series, as for a counter never incremented.
func metricValue(mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	mf := mfs[name]
	if mf == nil {
		return 0
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
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	return 0
}

// appendRaw APPENDs msg with a synchronising literal and returns the
// tagged response.
func (rc *rawConn) appendRaw(tag, mailbox, msg string) string {
	rc.t.Helper()
	rc.send(fmt.Sprintf("%s APPEND %s {%d}\r\n", tag, mailbox, len(msg)))
	if l := rc.line(); !strings.HasPrefix(l, "+") {
		rc.t.Fatalf("APPEND: no continuation, got %q", l)
	}
	rc.send(msg + "\r\n")
	return rc.until(tag + " ")
}

// waitGauge polls /metrics until the series has value want (connections
// are untracked just after the client sees the server close them).
func waitGauge(t *testing.T, addr string, want float64, name string, labels ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := metricValue(scrapeMetrics(t, addr), name, labels...)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v, want %v", name, labels, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const metricsTestMsg = "From: a@example.org\r\nTo: mia@example.org\r\nSubject: metrics\r\n\r\nbody-canary-7781 of the metrics test\r\n"

// TestMetrics runs a scripted IMAP session against `postbus serve` and
// checks the counters /metrics reports for it.
func TestMetrics(t *testing.T) {
	s, fields := startServerReady(t, "--http-addr", "127.0.0.1:0", "--lmtp-addr", "127.0.0.1:0")
	addr := fields["http"]
	if addr == "" {
		t.Fatal("no http= on the ready line")
	}
	addUser(t, s.data, "mia", "right-pass")

	// A wrong password, then a session that works.
	rc := dialRaw(t, s)
	rc.send("a1 LOGIN mia wrong-pass\r\n")
	if l := rc.until("a1 "); !strings.HasPrefix(l, "a1 NO [AUTHENTICATIONFAILED]") {
		t.Fatalf("wrong password: %q", l)
	}
	rc.send("a2 LOGOUT\r\n")
	rc.until("a2 OK")

	rc = dialRaw(t, s)
	script := []struct{ send, want string }{
		{"b1 LOGIN mia right-pass\r\n", "b1 OK"},
		{"b2 SELECT INBOX\r\n", "b2 OK"},
		{"", "b3 OK"}, // APPEND
		{"b4 FETCH 1 (BODY[])\r\n", "b4 OK"},
		{"b5 FROBNICATE\r\n", "b5 BAD"},
		{"b6 FETCH 1 (NOSUCHITEM)\r\n", "b6 BAD"},
		{"b7 UID FETCH 1 (FLAGS)\r\n", "b7 OK"},
		{"IDLE", "b8 OK"},
		{"b9 LOGOUT\r\n", "b9 OK"},
	}
	for _, st := range script {
		var l string
		switch st.send {
		case "":
			l = rc.appendRaw("b3", "INBOX", metricsTestMsg)
		case "IDLE":
			rc.send("b8 IDLE\r\n")
			if l := rc.line(); !strings.HasPrefix(l, "+") {
				t.Fatalf("IDLE: %q", l)
			}
			waitGauge(t, addr, 1, "postbus_imap_idle_sessions")
			rc.send("DONE\r\n")
			l = rc.until("b8 ")
		default:
			rc.send(st.send)
			l = rc.until(strings.Fields(st.want)[0] + " ")
		}
		if !strings.HasPrefix(l, st.want) {
			t.Fatalf("sent %q: got %q, want %s", st.send, l, st.want)
		}
	}
	waitGauge(t, addr, 0, "postbus_imap_connections_open", "listener", "implicit")

	// LMTP: one recipient delivered, one unknown.
	rcptErr, _ := lmtpSend(t, "tcp", fields["lmtp"], lmtpMessage, "mia@example.org", "nobody@example.org")
	if len(rcptErr) != 1 {
		t.Fatalf("RCPT errors %v: want one (nobody)", rcptErr)
	}

	mfs := scrapeMetrics(t, addr)
	exact := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"postbus_imap_connections_accepted_total", []string{"listener", "implicit"}, 2},
		{"postbus_imap_logins_total", []string{"mechanism", "LOGIN"}, 1},
		{"postbus_imap_auth_failures_total", []string{"mechanism", "LOGIN"}, 1},
		{"postbus_imap_commands_total", []string{"command", "LOGIN", "result", "OK"}, 1},
		{"postbus_imap_commands_total", []string{"command", "LOGIN", "result", "NO"}, 1},
		{"postbus_imap_commands_total", []string{"command", "SELECT", "result", "OK"}, 1},
		{"postbus_imap_commands_total", []string{"command", "APPEND", "result", "OK"}, 1},
		{"postbus_imap_commands_total", []string{"command", "FETCH", "result", "OK"}, 1},
		{"postbus_imap_commands_total", []string{"command", "UID FETCH", "result", "OK"}, 1},
		// An unknown name counts as OTHER; a known command the decoder
		// rejected counts under its own name.
		{"postbus_imap_commands_total", []string{"command", "OTHER", "result", "BAD"}, 1},
		{"postbus_imap_commands_total", []string{"command", "FETCH", "result", "BAD"}, 1},
		{"postbus_imap_commands_total", []string{"command", "LOGOUT", "result", "OK"}, 2},
		{"postbus_imap_command_duration_seconds", []string{"command", "APPEND"}, 1},
		{"postbus_imap_command_duration_seconds", []string{"command", "LOGIN"}, 2},
		{"postbus_imap_connections_open", []string{"listener", "implicit"}, 0},
		{"postbus_imap_idle_sessions", nil, 0},
		{"postbus_imap_command_duration_seconds", []string{"command", "IDLE"}, 1},
		{"postbus_imap_commands_total", []string{"command", "IDLE", "result", "OK"}, 1},
		{"postbus_lmtp_deliveries_total", []string{"result", "delivered"}, 1},
		{"postbus_lmtp_deliveries_total", []string{"result", "unknown_user"}, 1},
	}
	for _, tt := range exact {
		if got := metricValue(mfs, tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	// A made-up command name creates no series of its own.
	for _, m := range mfs["postbus_imap_commands_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "command" && lp.GetValue() == "FROBNICATE" {
				t.Errorf("series for an unknown command name: %v", m)
			}
		}
	}
	atLeast := []struct {
		name   string
		labels []string
		min    float64
	}{
		{"postbus_blob_operations_total", []string{"op", "put", "result", "ok"}, 1},
		{"postbus_blob_put_bytes_total", nil, float64(len(metricsTestMsg))},
		{"postbus_blob_read_bytes_total", nil, float64(len(metricsTestMsg))}, // FETCH BODY[]
		{"postbus_blob_operation_duration_seconds", []string{"op", "put"}, 1},
		{"postbus_imap_received_bytes_total", nil, float64(len(metricsTestMsg))},
		{"postbus_imap_sent_bytes_total", nil, float64(len(metricsTestMsg))},
		{"postbus_grpc_server_handled_total", []string{"method", "postbus.metadata.v1.Metadata/Append", "code", "OK"}, 1},
		{"postbus_grpc_server_handled_total", []string{"method", "postbus.metadata.v1.Metadata/Authenticate", "code", "OK"}, 1},
		{"postbus_grpc_server_handling_seconds", []string{"method", "postbus.metadata.v1.Metadata/Append"}, 1},
		{"postbus_pebble_disk_usage_bytes", nil, 1},
		{"postbus_pebble_wal_bytes_in_total", nil, 1},
		{"postbus_cluster_session_up", nil, 1},
		{"postbus_cluster_shards_owned", nil, 1},
		{"go_goroutines", nil, 1},
		{"process_start_time_seconds", nil, 1},
	}
	for _, tt := range atLeast {
		if got := metricValue(mfs, tt.name, tt.labels...); got < tt.min {
			t.Errorf("%s%v = %v, want ≥ %v", tt.name, tt.labels, got, tt.min)
		}
	}
	if got := metricValue(mfs, "postbus_grpc_server_handled_total", "method", "postbus.metadata.v1.Metadata/Authenticate", "code", "Unauthenticated"); got < 1 {
		// The wrong password is an RPC error too; its code depends on
		// the status mapping, so only check that some non-OK exists.
		var bad float64
		for _, m := range mfs["postbus_grpc_server_handled_total"].GetMetric() {
			var method, code string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "method":
					method = lp.GetValue()
				case "code":
					code = lp.GetValue()
				}
			}
			if strings.HasSuffix(method, "/Authenticate") && code != "OK" {
				bad += m.GetCounter().GetValue()
			}
		}
		if bad != 1 {
			t.Errorf("failed Authenticate RPCs = %v, want 1", bad)
		}
	}
}

// TestCommandLogs runs serve at debug level with JSON logs and checks one
// line per IMAP command with its session, user, command, tag, duration and
// result; info lines for logins and disconnects; and that no password,
// search string or message text appears anywhere in the log.
func TestCommandLogs(t *testing.T) {
	const (
		password = "Sekr3t-Pa55-xyzzy"
		needle   = "zq-needle-42"
	)
	s := startServer(t, "", "--log-level", "debug", "--log-format", "json")
	addUser(t, s.data, "lou", password)

	rc := dialRaw(t, s)
	rc.send("c1 LOGIN lou " + password + "-wrong\r\n")
	rc.until("c1 NO")
	rc.send("c2 LOGIN lou " + password + "\r\n")
	rc.until("c2 OK")
	rc.send("c3 SELECT INBOX\r\n")
	rc.until("c3 OK")
	if l := rc.appendRaw("c4", "INBOX", metricsTestMsg); !strings.HasPrefix(l, "c4 OK") {
		t.Fatalf("APPEND: %q", l)
	}
	rc.send("c5 NOOP\r\n")
	rc.until("c5 OK")
	rc.send(`c6 SEARCH BODY "` + needle + `"` + "\r\n")
	rc.until("c6 OK")
	rc.send("c7 FETCH 1 (BODY[])\r\n")
	rc.until("c7 OK")
	rc.send("c8 BOGUS " + needle + "\r\n")
	rc.until("c8 BAD")
	rc.send("c9 LOGOUT\r\n")
	rc.until("c9 OK")

	// AUTHENTICATE PLAIN carries the password base64-encoded.
	plain := base64.StdEncoding.EncodeToString([]byte("\x00lou\x00" + password))
	rc2 := dialRaw(t, s)
	rc2.send("d1 AUTHENTICATE PLAIN " + plain + "\r\n")
	rc2.until("d1 OK")
	rc2.send("d2 LOGOUT\r\n")
	rc2.until("d2 OK")

	s.stop() // every line is written once the process has exited
	log := s.stderr.String()

	for _, secret := range []string{password, plain, needle, "body-canary-7781", "metrics test"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains %q", secret)
		}
	}

	type entry = map[string]any
	var commands, logins, failures, disconnects []entry
	for i, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var e entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %d is not JSON: %v\n%s", i+1, err, line)
		}
		switch e["msg"] {
		case "frontend: command":
			commands = append(commands, e)
		case "frontend: login":
			logins = append(logins, e)
		case "frontend: login failed":
			failures = append(failures, e)
		case "frontend: disconnect":
			disconnects = append(disconnects, e)
		}
	}

	want := []struct{ tag, command, user, result, code string }{
		{"c1", "LOGIN", "", "NO", "AUTHENTICATIONFAILED"},
		{"c2", "LOGIN", "lou", "OK", "CAPABILITY"},
		{"c3", "SELECT", "lou", "OK", "READ-WRITE"},
		{"c4", "APPEND", "lou", "OK", "APPENDUID"},
		{"c5", "NOOP", "lou", "OK", ""},
		{"c6", "SEARCH", "lou", "OK", ""},
		{"c7", "FETCH", "lou", "OK", ""},
		{"c8", "OTHER", "lou", "BAD", ""},
		{"c9", "LOGOUT", "lou", "OK", ""},
		{"d1", "AUTHENTICATE", "lou", "OK", "CAPABILITY"},
		{"d2", "LOGOUT", "lou", "OK", ""},
	}
	if len(commands) != len(want) {
		t.Fatalf("%d command lines, want %d:\n%s", len(commands), len(want), log)
	}
	sessions := map[string]bool{}
	for i, w := range want {
		e := commands[i]
		if e["level"] != "DEBUG" || e["tag"] != w.tag || e["command"] != w.command || e["user"] != w.user ||
			e["result"] != w.result || e["code"] != w.code {
			t.Errorf("command line %d: %v, want %+v", i, e, w)
		}
		if d, ok := e["duration"].(float64); !ok || d < 0 {
			t.Errorf("command line %d: duration %v", i, e["duration"])
		}
		id, _ := e["session"].(string)
		if id == "" {
			t.Errorf("command line %d: no session id", i)
		}
		sessions[id] = true
	}
	if len(sessions) != 2 || commands[0]["session"] == commands[9]["session"] {
		t.Errorf("session ids %v: want one per connection", sessions)
	}

	if len(logins) != 2 || len(failures) != 1 {
		t.Fatalf("%d login and %d login-failed lines, want 2 and 1", len(logins), len(failures))
	}
	for i, mech := range []string{"LOGIN", "PLAIN"} {
		e := logins[i]
		if e["level"] != "INFO" || e["user"] != "lou" || e["mechanism"] != mech || e["remote"] == "" {
			t.Errorf("login line %d: %v", i, e)
		}
	}
	if e := failures[0]; e["level"] != "INFO" || e["user"] != "lou" || e["mechanism"] != "LOGIN" || e["remote"] == "" {
		t.Errorf("login failed line: %v", e)
	}
	if len(disconnects) != 2 {
		t.Fatalf("%d disconnect lines, want 2", len(disconnects))
	}
	for i, e := range disconnects {
		in, _ := e["bytes_in"].(float64)
		out, _ := e["bytes_out"].(float64)
		if e["level"] != "INFO" || e["user"] != "lou" || in <= 0 || out <= 0 || e["duration"] == nil || e["session"] == "" {
			t.Errorf("disconnect line %d: %v", i, e)
		}
	}
	if in, _ := disconnects[0]["bytes_in"].(float64); in < float64(len(metricsTestMsg)) {
		t.Errorf("first session read %v bytes, want ≥ the appended message's %d", in, len(metricsTestMsg))
	}
}
