package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend"
	"github.com/postbus/postbus/frontend/lmtp"
	"github.com/postbus/postbus/frontend/router"
	"github.com/postbus/postbus/metadata/cluster"
)

// frontendFlags are the flags of `postbus frontend`.
type frontendFlags struct {
	serveFlags // IMAP listeners and TLS, S3, PROXY protocol, logging, --http-addr
	cluster    clusterFlags
}

func (f *frontendFlags) register(fs *flag.FlagSet) {
	f.registerData(fs, "data directory of the frontend (self-signed TLS certificate; bodies only without --s3-endpoint)")
	f.registerIMAP(fs)
	f.registerS3(fs)
	f.registerLog(fs)
	f.lmtp.register(fs) // issue 6: in cluster mode frontends take mail in
	f.proxy = registerProxyFlags(fs)
	f.httpAddr = registerHTTPAddr(fs)
	f.cluster.register(fs)
}

func runFrontend(args []string) error { return runRole[frontendFlags]("frontend", args, frontendNode) }

// frontendNode runs a stateless IMAP frontend of a cluster until ctx is
// done: it follows the shard map in etcd and routes every metadata call to
// the user's node (frontend/router).
func frontendNode(ctx context.Context, f *frontendFlags, logger *slog.Logger) error {
	logger = logger.With("role", "frontend")
	cli, err := f.cluster.connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	w, err := cluster.Watch(ctx, cli, f.cluster.prefix)
	if err != nil {
		return err
	}
	defer w.Close()
	rt := router.New(w, router.Options{Logger: logger})
	defer rt.Close()
	certs, err := newCertReloader(f.data, f.tlsCert, f.tlsKey, logger)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	certs.OnSIGHUP(ctx) // tlsreload.go
	certFile := certs.File()
	blobs, blobsAt, err := openBlobs(ctx, &f.serveFlags)
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	rm := newRoleMetrics() // metrics.go
	blobs = rm.blobs(blobs)
	if f.s3Endpoint == "" {
		logger.Warn("no --s3-endpoint: message bodies stay in this frontend's data directory; other frontends and metadata nodes cannot read them")
	}
	fcfg := f.frontendConfig(certs.TLSConfig(), rt, blobs, logger)
	fcfg.Metrics = rm.fe()
	fe, err := frontend.New(fcfg)
	if err != nil {
		return err
	}
	f.lmtp.metrics = rm.fe()
	f.proxy.logger = logger
	errc := make(chan error, 4)
	addrs, err := startIMAP(fe, &f.serveFlags, errc)
	if err != nil {
		return err
	}
	lmtpSrv, lmtpAddrs, err := startLMTP(&f.lmtp, rt, blobs, logger, errc)
	if err != nil {
		return err
	}
	addrs = append(addrs, lmtpAddrs...)
	hs, err := listenHealthIf(*f.httpAddr, namedCheck("shard map", func(context.Context) error {
		m := w.Current()
		if m.Shards == 0 {
			return errors.New("no cluster in etcd yet")
		}
		for s := uint32(0); s < m.Shards; s++ {
			if _, ok := m.Entry(s); !ok {
				return fmt.Errorf("shard %d unassigned", s)
			}
		}
		return nil
	}))
	if err != nil {
		return err
	}
	defer hs.Stop()
	rm.serve(hs)
	if hs != nil {
		addrs = append(addrs, "http="+hs.Addr())
	}
	fmt.Printf("postbus: frontend ready %s blobs=%s cert=%s\n", strings.Join(addrs, " "), blobsAt, certFile)
	logger.Info("serving", "addrs", addrs, "blobs", blobsAt)
	serveUntilDone(ctx, errc, logger, hs, fe, lmtpSrv)
	return nil
}

// startIMAP opens the IMAPS and IMAP listeners the flags name and serves
// them with fe; listener errors go to errc. It returns "imaps=ADDR"-style
// words for the ready line.
func startIMAP(fe *frontend.Server, f *serveFlags, errc chan<- error) ([]string, error) {
	var addrs []string
	if f.imapsAddr != "" {
		l, err := net.Listen("tcp", f.imapsAddr)
		if err != nil {
			return nil, fmt.Errorf("IMAPS listener: %w", err)
		}
		addrs = append(addrs, "imaps="+l.Addr().String())
		go func() { errc <- fe.ServeIMAPS(f.proxy.wrap(l, "imaps")) }()
	}
	if f.imapAddr != "" {
		l, err := net.Listen("tcp", f.imapAddr)
		if err != nil {
			return nil, fmt.Errorf("IMAP listener: %w", err)
		}
		addrs = append(addrs, "imap="+l.Addr().String())
		go func() { errc <- fe.ServeIMAP(f.proxy.wrap(l, "imap")) }()
	}
	if len(addrs) == 0 {
		return nil, usageError{"nothing to serve: both --imaps-addr and --imap-addr are empty"}
	}
	return addrs, nil
}

// serveUntilDone waits for a shutdown signal (ctx) or a failed listener, then
// drains in order: readiness turns 503 (the load balancer stops sending),
// IMAP sessions get BYE and finish their commands, LMTP finishes its
// transactions — all within 10 s.
func serveUntilDone(ctx context.Context, errc <-chan error, logger *slog.Logger, hs *healthServer, fe *frontend.Server, lmtpSrv *lmtp.Server) {
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-errc:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			logger.Error("listener failed", "err", err)
		}
	}
	hs.Drain()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fe.Shutdown(sctx); err != nil {
		logger.Warn("frontend shutdown", "err", err)
	}
	if lmtpSrv != nil {
		if err := lmtpSrv.Shutdown(sctx); err != nil {
			logger.Warn("LMTP shutdown", "err", err)
		}
	}
}
