package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
)

// certReloader serves the TLS certificate from an atomically swapped
// pointer that SIGHUP refreshes from the files, so a renewed certificate
// (certbot, an ACME client, the self-signed one replaced by hand) is used
// by new connections without dropping the ones that are open: a TLS
// session keeps the certificate it was handshaken with.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	cur               atomic.Pointer[tls.Certificate]
}

// newCertReloader loads (or, without --tls-cert, creates) the certificate
// as loadOrCreateCert does and remembers which files to reload.
func newCertReloader(dataDir, certFlag, keyFlag string, log *slog.Logger) (*certReloader, error) {
	cert, certFile, err := loadOrCreateCert(dataDir, certFlag, keyFlag)
	if err != nil {
		return nil, err
	}
	keyFile := keyFlag
	if certFlag == "" {
		keyFile = filepath.Join(filepath.Dir(certFile), "key.pem")
	}
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	r.cur.Store(&cert)
	return r, nil
}

// File is the certificate file, for the ready line.
func (r *certReloader) File() string { return r.certFile }

// TLSConfig is a server configuration that always serves the current
// certificate.
func (r *certReloader) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return r.cur.Load(), nil
		},
	}
}

// Reload reads the files again. On any error the current certificate stays.
func (r *certReloader) Reload() error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("reload TLS certificate %s: %w", r.certFile, err)
	}
	old := r.cur.Swap(&c)
	r.log.Info("TLS certificate reloaded", "file", r.certFile, "old", describeCert(old), "new", describeCert(&c))
	return nil
}

// OnSIGHUP reloads at every SIGHUP until ctx is done.
func (r *certReloader) OnSIGHUP(ctx context.Context) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				if err := r.Reload(); err != nil {
					r.log.Error("SIGHUP", "err", err)
				}
				if err := reloadLive(r.log); err != nil {
					r.log.Error("SIGHUP", "err", err)
				}
			}
		}
	}()
}

// describeCert is "subject serial S, expires T" of a certificate's leaf.
func describeCert(c *tls.Certificate) string {
	if c == nil || len(c.Certificate) == 0 {
		return "none"
	}
	leaf := c.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return "unparsable"
		}
	}
	return fmt.Sprintf("%q serial %s, expires %s", leaf.Subject.CommonName, leaf.SerialNumber.Text(16), leaf.NotAfter.UTC().Format("2006-01-02"))
}

// logSIGHUP handles SIGHUP in a role without a certificate (the metadata
// role: the signal's default action would end the process): it reloads the
// live settings, so one `kill -HUP` or systemd reload addresses every role.
func logSIGHUP(ctx context.Context, log *slog.Logger) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				if err := reloadLive(log); err != nil {
					log.Error("SIGHUP", "err", err)
				}
			}
		}
	}()
}
