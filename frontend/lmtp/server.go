package lmtp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/metrics"
)

// Config configures a Server.
type Config struct {
	// Deliverer stores messages; its MaxSize is the LMTP size limit
	// (advertised with SIZE) and its Metadata client resolves recipients.
	Deliverer *deliver.Deliverer
	// Hostname is the name in the greeting and LHLO reply; "" is
	// "localhost".
	Hostname string
	// MaxRecipients per transaction; 0 is 1000.
	MaxRecipients int
	// Timeout bounds reading one command or the message and the delivery
	// of one message to all its recipients; 0 is 5 minutes.
	Timeout time.Duration
	// Logger receives one line per delivery; nil is slog.Default().
	Logger *slog.Logger
	// Metrics counts recipients by result (LMTPDeliveries); nil counts
	// into families registered nowhere.
	Metrics *metrics.Metrics
}

// Server is an LMTP server. Serve may be called for several listeners.
type Server struct {
	cfg  Config
	log  *slog.Logger
	smtp *smtp.Server
}

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("lmtp: bad configuration")

// New returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Deliverer == nil || cfg.Deliverer.Metadata == nil || cfg.Deliverer.Blobs == nil {
		return nil, fmt.Errorf("%w: a Deliverer with Metadata and Blobs is required", ErrConfig)
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.MaxRecipients == 0 {
		cfg.MaxRecipients = 1000
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New(nil)
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	ss := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, remote: remoteOf(c)}, nil
	}))
	ss.LMTP = true
	ss.Domain = cfg.Hostname
	ss.MaxRecipients = cfg.MaxRecipients
	ss.MaxMessageBytes = cfg.Deliverer.MaxSize
	// go-smtp applies its line limit (default 2000) to message lines too,
	// and breaking it closes the connection with a temporary error, which
	// an MTA retries forever. Mail lines are not ours to police (RFC 5322
	// §2.1.1's 998 is for generators): allow long ones; the memory a line
	// costs is bounded by this.
	ss.MaxLineLength = 1 << 20
	ss.ReadTimeout = cfg.Timeout
	ss.WriteTimeout = cfg.Timeout
	ss.ErrorLog = slogAdapter{s.log}
	s.smtp = ss
	return s, nil
}

func remoteOf(c *smtp.Conn) string {
	if nc := c.Conn(); nc != nil && nc.RemoteAddr() != nil {
		return nc.RemoteAddr().String()
	}
	return ""
}

// Serve accepts LMTP connections on l until Shutdown or Close; it then
// returns an error matching net.ErrClosed or smtp.ErrServerClosed.
func (s *Server) Serve(l net.Listener) error { return s.smtp.Serve(l) }

// Shutdown stops accepting connections and waits for the open ones to end
// (an MTA closes an idle LMTP connection after its own timeout); when ctx
// ends first it closes them and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.smtp.Shutdown(ctx)
	if ctx.Err() != nil {
		s.smtp.Close()
	}
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	if err := s.smtp.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return err
	}
	return nil
}

// slogAdapter turns go-smtp's internal error log into slog warnings.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Printf(format string, v ...any) { a.l.Warn("lmtp: " + fmt.Sprintf(format, v...)) }
func (a slogAdapter) Println(v ...any)               { a.l.Warn("lmtp: " + fmt.Sprint(v...)) }
