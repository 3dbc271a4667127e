package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/frontend"
	"github.com/postbus/postbus/frontend/router"
	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/inproc"
	"github.com/postbus/postbus/proto/metadatapb"
)

// serveFlags are the flags of `postbus serve`.
type serveFlags struct {
	data                  string
	imapsAddr, imapAddr   string
	tlsCert, tlsKey       string
	s3Endpoint, s3Bucket  string
	s3AccessKey, s3Secret string
	s3Region, s3Prefix    string
	s3VirtualHost         bool
	insecureAuth          bool
	maxConns, maxConnsIP  int
	logLevel, logFormat   string
	lmtp                  lmtpFlags   // serve_lmtp.go
	proxy                 *proxyFlags // proxyflags.go
	httpAddr              *string     // health.go
	gc                    gcFlags     // gc.go
	// RFC 5464 server annotations (annotate_flags.go).
	annotations annotationFlags
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	f.registerData(fs, "data directory (metadata, blobs, TLS certificate, admin socket, etcd)")
	f.registerIMAP(fs)
	f.registerS3(fs)
	f.registerLog(fs)
	f.lmtp.register(fs)
	f.proxy = registerProxyFlags(fs)
	f.httpAddr = registerHTTPAddr(fs)
	f.gc.register(fs)
}

// The flag groups below are shared by serve and the cluster roles
// (metadata_cmd.go, frontend_cmd.go), so a flag means the same everywhere.

func (f *serveFlags) registerData(fs *flag.FlagSet, usage string) {
	fs.StringVar(&f.data, "data", "./postbus-data", usage)
}

// registerIMAP registers the flags of the IMAP listeners and TLS.
func (f *serveFlags) registerIMAP(fs *flag.FlagSet) {
	fs.StringVar(&f.imapsAddr, "imaps-addr", "127.0.0.1:1993", "implicit-TLS IMAP listen address (empty: off)")
	fs.StringVar(&f.imapAddr, "imap-addr", "127.0.0.1:1143", "IMAP listen address with STARTTLS (empty: off)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate chain (PEM); default: self-signed in DATA/tls")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS private key (PEM)")
	fs.BoolVar(&f.insecureAuth, "insecure-auth", false, "allow LOGIN/AUTHENTICATE without TLS (testing tools only)")
	fs.IntVar(&f.maxConns, "max-connections", 10000, "most open IMAP connections (negative: no limit)")
	fs.IntVar(&f.maxConnsIP, "max-connections-per-ip", 500, "most open IMAP connections from one client address (negative: no limit; behind a load balancer use the PROXY protocol)")
	f.annotations.register(fs)
}

// frontendConfig is the frontend configuration the IMAP flags describe, for
// serve and the frontend role alike.
// tlsConf serves the certificate of a certReloader (tlsreload.go).
func (f *serveFlags) frontendConfig(tlsConf *tls.Config, md metadatapb.MetadataClient, blobs blobstore.Store, logger *slog.Logger) frontend.Config {
	return frontend.Config{
		TLSConfig:           tlsConf,
		Metadata:            md,
		Blobs:               blobs,
		Logger:              logger,
		InsecureAuth:        f.insecureAuth,
		MaxConnections:      f.maxConns,
		MaxConnectionsPerIP: f.maxConnsIP,
		AdminContact:        f.annotations.adminContact,
		ServerComment:       f.annotations.serverComment,
	}
}

// registerS3 registers the flags of the blob store.
func (f *serveFlags) registerS3(fs *flag.FlagSet) {
	fs.StringVar(&f.s3Endpoint, "s3-endpoint", "", "S3 endpoint for message bodies, host:port (https) or http://host:port; empty: DATA/blobs")
	fs.StringVar(&f.s3Bucket, "s3-bucket", "postbus", "S3 bucket")
	fs.StringVar(&f.s3AccessKey, "s3-access-key", os.Getenv("POSTBUS_S3_ACCESS_KEY"), "S3 access key (env POSTBUS_S3_ACCESS_KEY)")
	fs.StringVar(&f.s3Secret, "s3-secret-key", os.Getenv("POSTBUS_S3_SECRET_KEY"), "S3 secret key (env POSTBUS_S3_SECRET_KEY)")
	fs.StringVar(&f.s3Region, "s3-region", "us-east-1", "S3 region")
	fs.StringVar(&f.s3Prefix, "s3-prefix", "", "key prefix inside the bucket")
	fs.BoolVar(&f.s3VirtualHost, "s3-virtual-host", false, "virtual-host-style S3 URLs instead of path style")
}

func (f *serveFlags) registerLog(fs *flag.FlagSet) {
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.logFormat, "log-format", "text", "text or json")
}

func runServe(args []string) error { return runRole[serveFlags]("serve", args, serve) }

func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("bad --log-level %q", level)}
	}
	logLevel.Set(lv)
	opts := &slog.HandlerOptions{Level: logLevel} // SIGHUP may change it: livereload.go
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(os.Stderr, opts)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, opts)
	default:
		return nil, usageError{fmt.Sprintf("bad --log-format %q", format)}
	}
	l := slog.New(h)
	// What logs through slog.Default (Pebble's logger, the shard map
	// watcher, the log package) follows the flags too: with --log-format
	// json every line on stderr is JSON.
	slog.SetDefault(l)
	return l, nil
}

// openBlobs opens the blob store the flags name: S3 when --s3-endpoint is
// set, else DATA/blobs.
func openBlobs(ctx context.Context, f *serveFlags) (blobstore.Store, string, error) {
	if f.s3Endpoint == "" {
		dir := filepath.Join(f.data, "blobs")
		s, err := blobstore.NewDir(dir)
		return s, dir, err
	}
	endpoint, useTLS := f.s3Endpoint, true
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, "", usageError{fmt.Sprintf("bad --s3-endpoint %q: want host:port or http(s)://host:port", endpoint)}
		}
		endpoint, useTLS = u.Host, u.Scheme == "https"
	}
	s, err := blobstore.NewS3(ctx, blobstore.S3Config{
		Endpoint:  endpoint,
		Bucket:    f.s3Bucket,
		AccessKey: f.s3AccessKey,
		SecretKey: f.s3Secret,
		Region:    f.s3Region,
		UseTLS:    useTLS,
		PathStyle: !f.s3VirtualHost,
		Prefix:    f.s3Prefix,
	})
	return s, "s3://" + f.s3Bucket + "@" + f.s3Endpoint, err
}

// serve runs the all-in-one node until ctx is done: an embedded etcd in
// DATA/etcd holds the shard map of a one-node cluster; the metadata node
// owns every shard and serves its gRPC service on an in-process connection
// (for the frontend's router, so the single node runs the cluster's code
// path) and on DATA/admin.sock (for `postbus user` while the server runs);
// the frontend serves IMAP.
func serve(ctx context.Context, f *serveFlags, logger *slog.Logger) error {
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return err
	}
	sockPath := adminSocketPath(f.data)
	if conn, err := net.DialTimeout("unix", sockPath, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("another postbus is running on %s (admin socket %s answers)", f.data, sockPath)
	}
	certs, err := newCertReloader(f.data, f.tlsCert, f.tlsKey, logger)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	certs.OnSIGHUP(ctx) // tlsreload.go
	certFile := certs.File()
	blobs, blobsAt, err := openBlobs(ctx, f)
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	rm := newRoleMetrics() // metrics.go
	blobs = rm.blobs(blobs)
	node, err := metadata.Open(metadata.Options{
		Dir:    filepath.Join(f.data, "metadata"),
		Blobs:  blobs,
		Logger: logger.With("role", "metadata"),
	})
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	defer node.Close()

	// The single node is a one-member cluster: an embedded etcd holds its
	// shard map and the node owns every shard (cluster_serve.go).
	sc, err := startServeCluster(ctx, f.data, node, logger)
	if err != nil {
		return err
	}
	defer sc.close()

	rm.member(ctx, sc.member)
	rpcm := rm.node(node)
	gs := grpc.NewServer(append(rpcm.ServerOptions(), cluster.ServerOptions(sc.member)...)...)
	metadatapb.RegisterMetadataServer(gs, node)
	metadatapb.RegisterAdminServer(gs, node.Admin())
	nodeL := bufconn.Listen(1 << 20)
	go gs.Serve(nodeL)
	os.Remove(sockPath) // stale: nobody answered above
	adminL, err := net.Listen("unix", sockPath)
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(sockPath, 0o600); err != nil {
		return err
	}
	go gs.Serve(adminL)
	defer gs.Stop()

	dialInproc := func(string) (*grpc.ClientConn, error) {
		return grpc.NewClient("passthrough:///inproc", append(metadatapb.DialOptions(),
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return nodeL.DialContext(ctx) }),
			grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	}
	cc, err := dialInproc(serveNodeAddr)
	if err != nil {
		return err
	}
	defer cc.Close()
	startServeGC(ctx, f.gc, blobs, cc, logger) // gc.go
	// The frontend reaches the node through the router, as in a cluster,
	// but calls it in-process, without marshalling (metadata/inproc),
	// under the interceptors the gRPC server runs.
	mu, ms := rpcm.Interceptors()
	local := inproc.New(node, inproc.Options{
		Unary:  []grpc.UnaryServerInterceptor{mu, sc.member.UnaryInterceptor()},
		Stream: []grpc.StreamServerInterceptor{ms, sc.member.StreamInterceptor()},
	})
	md := router.New(sc.member.Map(), router.Options{
		Dial:   dialInproc,
		Local:  map[string]metadatapb.MetadataClient{serveNodeAddr: local},
		Logger: logger.With("role", "frontend"),
	})
	defer md.Close()

	fcfg := f.frontendConfig(certs.TLSConfig(), md, blobs, logger.With("role", "frontend"))
	fcfg.Metrics = rm.fe()
	fe, err := frontend.New(fcfg)
	if err != nil {
		return err
	}
	f.lmtp.metrics = rm.fe()
	f.proxy.logger = logger.With("role", "frontend")
	errc := make(chan error, 4)
	addrs, err := startIMAP(fe, f, errc)
	if err != nil {
		return err
	}
	lmtpSrv, lmtpAddrs, err := startLMTP(&f.lmtp, md, blobs, logger, errc)
	if err != nil {
		return err
	}
	addrs = append(addrs, lmtpAddrs...)
	hs, err := startServeHealth(*f.httpAddr, cc)
	if err != nil {
		return err
	}
	defer hs.Stop()
	rm.serve(hs)
	if hs != nil {
		addrs = append(addrs, "http="+hs.Addr())
	}
	// One stable line that people and scripts read to find the server.
	fmt.Printf("postbus: ready %s data=%s blobs=%s cert=%s\n", strings.Join(addrs, " "), f.data, blobsAt, certFile)
	logger.Info("serving", "addrs", addrs, "data", f.data, "blobs", blobsAt)

	serveUntilDone(ctx, errc, logger, hs, fe, lmtpSrv)
	os.Remove(sockPath)
	return nil
}

// adminSocketPath is where a running server listens for `postbus user`.
func adminSocketPath(dataDir string) string { return filepath.Join(dataDir, "admin.sock") }
