package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Listener label values.
const (
	ListenerImplicit = "implicit" // implicit TLS (IMAPS)
	ListenerSTARTTLS = "starttls" // cleartext with STARTTLS
)

// Refusal reasons (label "reason" of postbus_imap_connections_refused_total).
const (
	RefusedMaxConnections = "max_connections"
	RefusedMaxPerIP       = "max_connections_per_ip"
	RefusedShutdown       = "shutting_down"
)

// Command results: the tagged response's status, or BYE when the
// connection ended instead.
const (
	ResultOK  = "OK"
	ResultNO  = "NO"
	ResultBAD = "BAD"
	ResultBYE = "BYE"
)

// OtherCommand is the command label of a name the server does not know.
const OtherCommand = "OTHER"

// LMTP delivery results, one per recipient.
const (
	LMTPDelivered   = "delivered"
	LMTPUnknownUser = "unknown_user"
	LMTPBadAddress  = "bad_address"
	LMTPOverQuota   = "over_quota"
	LMTPTooBig      = "too_big"
	LMTPTemporary   = "temporary"
	LMTPRejected    = "rejected" // any other permanent refusal
)

// Metrics are the frontend's metric families.
type Metrics struct {
	ConnsOpen       *prometheus.GaugeVec   // listener
	ConnsAccepted   *prometheus.CounterVec // listener
	ConnsRefused    *prometheus.CounterVec // listener, reason
	Logins          *prometheus.CounterVec // mechanism
	AuthFailures    *prometheus.CounterVec // mechanism
	Commands        *prometheus.CounterVec // command, result
	CommandDuration *prometheus.HistogramVec
	BytesIn         prometheus.Counter
	BytesOut        prometheus.Counter
	Idle            prometheus.Gauge
	LMTPDeliveries  *prometheus.CounterVec // result
}

// New creates the families and registers them with reg (nil: nowhere).
// Registering twice on one registry panics.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ConnsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "postbus_imap_connections_open",
			Help: "Open IMAP connections by listener (implicit TLS or STARTTLS port).",
		}, []string{"listener"}),
		ConnsAccepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbus_imap_connections_accepted_total",
			Help: "IMAP connections accepted by listener.",
		}, []string{"listener"}),
		ConnsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbus_imap_connections_refused_total",
			Help: "IMAP connections refused by listener and reason (connection limits, shutdown).",
		}, []string{"listener", "reason"}),
		Logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbus_imap_logins_total",
			Help: "IMAP sessions authenticated, by mechanism (LOGIN, PLAIN).",
		}, []string{"mechanism"}),
		AuthFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbus_imap_auth_failures_total",
			Help: "Failed IMAP LOGIN/AUTHENTICATE commands, by mechanism.",
		}, []string{"mechanism"}),
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbus_imap_commands_total",
			Help: "IMAP commands by name (OTHER: unknown names and lines that failed to parse) and result (OK, NO, BAD, BYE).",
		}, []string{"command", "result"}),
		CommandDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "postbus_imap_command_duration_seconds",
			Help: "IMAP command latency by name, from the command read to its tagged response (IDLE: the whole idle).",
			// 100 µs (NOOP) to 60 s (a large APPEND or FETCH over a slow link).
			Buckets: prometheus.ExponentialBucketsRange(0.0001, 60, 16),
		}, []string{"command"}),
		BytesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "postbus_imap_received_bytes_total",
			Help: "Bytes read from IMAP clients (after TLS decryption).",
		}),
		BytesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "postbus_imap_sent_bytes_total",
			Help: "Bytes written to IMAP clients (before TLS encryption).",
		}),
		Idle: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "postbus_imap_idle_sessions",
			Help: "IMAP sessions in IDLE now.",
		}),
		LMTPDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "postbus_lmtp_deliveries_total",
			Help: "LMTP recipients by result (delivered, unknown_user, over_quota, too_big, temporary, ...).",
		}, []string{"result"}),
	}
	if reg != nil {
		reg.MustRegister(m.ConnsOpen, m.ConnsAccepted, m.ConnsRefused, m.Logins, m.AuthFailures,
			m.Commands, m.CommandDuration, m.BytesIn, m.BytesOut, m.Idle, m.LMTPDeliveries)
	}
	return m
}
