package frontend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/frontend/metrics"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Version is what the ID command (RFC 2971) reports.
const Version = "0.1"

// ErrServerClosed is returned by ServeIMAP and ServeIMAPS after Shutdown.
var ErrServerClosed = errors.New("frontend: server closed")

// ErrConfig is wrapped by New for an unusable Config.
var ErrConfig = errors.New("frontend: invalid config")

// Config configures a Server. Zero durations and limits take the defaults
// documented on each field.
type Config struct {
	TLSConfig       *tls.Config // required; MinVersion forced to TLS 1.2
	Metadata        metadatapb.MetadataClient
	Blobs           blobstore.Store
	Logger          *slog.Logger
	InsecureAuth    bool          // allow LOGIN/AUTHENTICATE without TLS (testing tools only)
	Limits          wire.Limits   // zero fields → wire.DefaultLimits()
	IdleTimeout     time.Duration // after login; zero → 30 min (RFC 9051 §5.4)
	PreAuthTimeout  time.Duration // before login; zero → 60 s
	WriteTimeout    time.Duration // deadline per flush on slow readers; zero → 5 min
	MaxAuthFailures int           // zero → 3, then BYE
	ServerName      string        // for the greeting
	// MaxConnections bounds open connections per Server (zero → 10,000);
	// MaxConnectionsPerIP bounds them per client address (zero → 500).
	// Behind a load balancer the per-IP limit only works with the PROXY
	// protocol, which makes RemoteAddr the client's address; without it
	// every connection comes from the balancer. Negative means no limit.
	MaxConnections      int
	MaxConnectionsPerIP int
	// Metrics receives connection, command and byte counts; nil counts
	// into families registered nowhere.
	Metrics *metrics.Metrics
	// AdminContact and ServerComment are the read-only server annotations
	// /shared/admin (a URI such as "mailto:postmaster@example.com") and
	// /shared/comment (RFC 5464 §3.2.1.1) every user reads with
	// GETMETADATA "". Empty: the entry has no value (NIL).
	AdminContact  string
	ServerComment string
	// MaxNotifyMailboxes bounds the mailboxes one session watches with
	// NOTIFY (RFC 5465): a NOTIFY SET over more is refused, and a session
	// whose set grows beyond gets NOTIFICATIONOVERFLOW (§5.8). Zero → 1000.
	MaxNotifyMailboxes int
}

// Server serves IMAP sessions. It is safe for concurrent use; one Server may
// serve several listeners.
type Server struct {
	cfg     Config
	log     *slog.Logger
	tlsConf *tls.Config
	watch   *watchHub
	deliver *deliver.Deliverer // APPEND's path into the stores
	metrics *metrics.Metrics

	wg sync.WaitGroup // one per running session
	mu struct {
		sync.Mutex
		closing   bool
		listeners map[net.Listener]struct{}
		conns     map[*conn]struct{}
		perIP     map[string]int // open connections per client address
	}
}

// New checks cfg, fills in defaults and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.TLSConfig == nil {
		return nil, fmt.Errorf("%w: TLSConfig is required", ErrConfig)
	}
	if cfg.Metadata == nil {
		return nil, fmt.Errorf("%w: Metadata is required", ErrConfig)
	}
	if cfg.Blobs == nil {
		return nil, fmt.Errorf("%w: Blobs is required", ErrConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Limits = withDefaultLimits(cfg.Limits)
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.PreAuthTimeout <= 0 {
		cfg.PreAuthTimeout = 60 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Minute
	}
	if cfg.MaxAuthFailures <= 0 {
		cfg.MaxAuthFailures = 3
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New(nil)
	}
	if cfg.ServerName == "" {
		cfg.ServerName = "postbus"
	}
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = 10000
	}
	if cfg.MaxConnectionsPerIP == 0 {
		cfg.MaxConnectionsPerIP = 500
	}
	tc := cfg.TLSConfig.Clone()
	if tc.MinVersion < tls.VersionTLS12 {
		tc.MinVersion = tls.VersionTLS12 // RFC 8314 §4.1, DESIGN.md
	}
	s := &Server{cfg: cfg, log: cfg.Logger, tlsConf: tc, metrics: cfg.Metrics}
	s.watch = newWatchHub(cfg.Metadata, cfg.Logger)
	s.deliver = &deliver.Deliverer{Metadata: cfg.Metadata, Blobs: cfg.Blobs, MaxSize: cfg.Limits.MaxLiteral}
	s.mu.listeners = make(map[net.Listener]struct{})
	s.mu.conns = make(map[*conn]struct{})
	s.mu.perIP = make(map[string]int)
	return s, nil
}

// ServeIMAPS accepts implicit-TLS connections on l (RFC 8314 §3.2) until
// Shutdown; it then returns ErrServerClosed.
func (s *Server) ServeIMAPS(l net.Listener) error { return s.serve(l, true) }

// ServeIMAP accepts cleartext connections on l that may upgrade with
// STARTTLS (RFC 9051 §6.2.1) until Shutdown; it then returns ErrServerClosed.
func (s *Server) ServeIMAP(l net.Listener) error { return s.serve(l, false) }

func (s *Server) serve(l net.Listener, implicitTLS bool) error {
	s.mu.Lock()
	if s.mu.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.mu.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.mu.listeners, l)
		s.mu.Unlock()
	}()

	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("frontend: accept: %w", err)
		}
		backoff = 0
		c := newConn(s, nc, implicitTLS)
		listener := listenerLabel(implicitTLS)
		switch err := s.track(c); {
		case errors.Is(err, ErrServerClosed):
			s.metrics.ConnsRefused.WithLabelValues(listener, metrics.RefusedShutdown).Inc()
			nc.Close()
			return ErrServerClosed
		case err != nil:
			reason := metrics.RefusedMaxConnections
			if errors.Is(err, errTooManyFromIP) {
				reason = metrics.RefusedMaxPerIP
			}
			s.metrics.ConnsRefused.WithLabelValues(listener, reason).Inc()
			go refuse(nc, implicitTLS, err, s.log)
			continue
		}
		s.metrics.ConnsAccepted.WithLabelValues(listener).Inc()
		go func() {
			defer s.untrack(c)
			c.serve()
		}()
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.closing
}

// errTooManyConns refuses a connection over MaxConnections(PerIP);
// errTooManyFromIP (which matches it too) over MaxConnectionsPerIP.
var (
	errTooManyConns  = errors.New("frontend: too many connections")
	errTooManyFromIP = fmt.Errorf("%w from one address", errTooManyConns)
)

// track registers a new connection, or refuses it: ErrServerClosed during
// Shutdown, errTooManyConns over a connection limit.
func (s *Server) track(c *conn) error {
	ip := clientIP(c.raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closing {
		return ErrServerClosed
	}
	if max := s.cfg.MaxConnections; max > 0 && len(s.mu.conns) >= max {
		return fmt.Errorf("%w: %d open", errTooManyConns, len(s.mu.conns))
	}
	if max := s.cfg.MaxConnectionsPerIP; max > 0 && s.mu.perIP[ip] >= max {
		return fmt.Errorf("%w %s: %d open", errTooManyFromIP, ip, s.mu.perIP[ip])
	}
	s.mu.conns[c] = struct{}{}
	s.mu.perIP[ip]++
	s.wg.Add(1)
	s.metrics.ConnsOpen.WithLabelValues(listenerLabel(c.implicit)).Inc()
	return nil
}

func (s *Server) untrack(c *conn) {
	ip := clientIP(c.raw)
	s.mu.Lock()
	delete(s.mu.conns, c)
	if s.mu.perIP[ip]--; s.mu.perIP[ip] <= 0 {
		delete(s.mu.perIP, ip)
	}
	s.mu.Unlock()
	s.metrics.ConnsOpen.WithLabelValues(listenerLabel(c.implicit)).Dec()
	s.wg.Done()
}

// clientIP is the address a connection limit counts: the host part of
// RemoteAddr (the client's, when a PROXY protocol listener rewrote it).
func clientIP(nc net.Conn) string {
	addr := nc.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// refuse closes a connection over a limit. On the cleartext port the client
// first reads why (RFC 9051 §7.1.5 BYE, RFC 5530 UNAVAILABLE); on the
// implicit-TLS port it is closed at once: a BYE there would need a TLS
// handshake, the very work a flood wants us to do.
func refuse(nc net.Conn, implicitTLS bool, why error, log *slog.Logger) {
	log.Warn("frontend: connection refused", "remote", nc.RemoteAddr().String(), "err", why)
	if !implicitTLS {
		nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(nc, "* BYE [UNAVAILABLE] Too many connections, try again later\r\n")
	}
	nc.Close()
}

// Shutdown stops accepting connections, tells every session "* BYE" at its
// next safe point (a session in the middle of a command finishes it first),
// and waits for the sessions to end or ctx to expire; then it closes what is
// left and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.mu.closing = true
	for l := range s.mu.listeners {
		l.Close()
	}
	conns := make([]*conn, 0, len(s.mu.conns))
	for c := range s.mu.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.interrupt()
	}

	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		for c := range s.mu.conns {
			c.forceClose()
		}
		s.mu.Unlock()
		<-done
	}
	s.watch.close()
	return err
}

// withDefaultLimits fills every zero field of l from wire.DefaultLimits.
func withDefaultLimits(l wire.Limits) wire.Limits {
	d := wire.DefaultLimits()
	if l.MaxLineLength <= 0 {
		l.MaxLineLength = d.MaxLineLength
	}
	if l.MaxLiteral <= 0 {
		l.MaxLiteral = d.MaxLiteral
	}
	if l.MaxSmallLiteral <= 0 {
		l.MaxSmallLiteral = d.MaxSmallLiteral
	}
	if l.MaxNesting <= 0 {
		l.MaxNesting = d.MaxNesting
	}
	if l.MaxNonSyncLiteral <= 0 {
		l.MaxNonSyncLiteral = d.MaxNonSyncLiteral
	}
	return l
}
