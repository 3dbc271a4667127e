package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/lmtp"
	femetrics "github.com/postbus/postbus/frontend/metrics"
	"github.com/postbus/postbus/proto/metadatapb"
)

// lmtpFlags are the LMTP flags of `postbus serve`; LMTP is off unless an
// address or a socket is given.
type lmtpFlags struct {
	addr, socket string
	maxSize      int64
	metrics      *femetrics.Metrics // deliveries by result; nil: not exported
}

func (f *lmtpFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "lmtp-addr", "", "LMTP (RFC 2033) listen address HOST:PORT for the MTA, unauthenticated: loopback or a private network only (empty: off)")
	fs.StringVar(&f.socket, "lmtp-socket", "", "LMTP unix socket path for the MTA (empty: off)")
	fs.Int64Var(&f.maxSize, "lmtp-max-size", 64<<20, "largest message accepted over LMTP, octets (advertised with SIZE)")
}

// startLMTP starts the LMTP listeners the flags ask for, reporting a
// listener's end on errc, and returns the server (nil when LMTP is off)
// and "lmtp=ADDR" / "lmtp-socket=PATH" for the ready line.
func startLMTP(f *lmtpFlags, md metadatapb.MetadataClient, blobs blobstore.Store, logger *slog.Logger, errc chan<- error) (*lmtp.Server, []string, error) {
	if f.addr == "" && f.socket == "" {
		return nil, nil, nil
	}
	srv, err := lmtp.New(lmtp.Config{
		Deliverer: &deliver.Deliverer{Metadata: md, Blobs: blobs, MaxSize: f.maxSize},
		Logger:    logger.With("role", "lmtp"),
		Metrics:   f.metrics,
	})
	if err != nil {
		return nil, nil, err
	}
	var addrs []string
	if f.addr != "" {
		l, err := net.Listen("tcp", f.addr)
		if err != nil {
			return nil, nil, fmt.Errorf("LMTP listener: %w", err)
		}
		addrs = append(addrs, "lmtp="+l.Addr().String())
		go func() { errc <- srv.Serve(l) }()
	}
	if f.socket != "" {
		os.Remove(f.socket) // a stale socket of a previous run; the admin socket check ruled out a live one
		l, err := net.Listen("unix", f.socket)
		if err != nil {
			srv.Close()
			return nil, nil, fmt.Errorf("LMTP socket: %w", err)
		}
		// The MTA runs as another user: the socket is group-accessible;
		// directory permissions decide who reaches it.
		if err := os.Chmod(f.socket, 0o660); err != nil {
			srv.Close()
			return nil, nil, err
		}
		addrs = append(addrs, "lmtp-socket="+f.socket)
		go func() { errc <- srv.Serve(l) }()
	}
	return srv, addrs, nil
}
