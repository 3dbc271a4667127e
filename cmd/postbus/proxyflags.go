package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"

	"github.com/postbus/postbus/frontend/proxyproto"
)

// proxyFlags are the PROXY protocol flags of the roles that serve IMAP
// (serve, frontend): per listener opt-in, and the networks proxies may
// connect from.
type proxyFlags struct {
	imaps, imap bool
	trusted     []netip.Prefix
	// logger receives one line per refused connection; nil: slog.Default.
	logger *slog.Logger
}

// registerProxyFlags registers --proxy-protocol-imaps, --proxy-protocol-imap
// and --proxy-trusted on fs.
func registerProxyFlags(fs *flag.FlagSet) *proxyFlags {
	p := &proxyFlags{}
	fs.BoolVar(&p.imaps, "proxy-protocol-imaps", false, "require a PROXY protocol (v1 or v2) header on every --imaps-addr connection (behind haproxy send-proxy-v2)")
	fs.BoolVar(&p.imap, "proxy-protocol-imap", false, "require a PROXY protocol header on every --imap-addr connection")
	fs.Func("proxy-trusted", "comma-separated CIDRs proxies connect from; connections from elsewhere are refused on PROXY listeners (empty: any peer)", func(s string) error {
		prefixes, err := parsePrefixes(s)
		if err != nil {
			return err
		}
		p.trusted = prefixes
		return nil
	})
	return p
}

// parsePrefixes parses "10.0.0.0/8, 192.0.2.7" (a bare address is a /32 or
// /128).
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("bad network %q: want CIDR or address", f)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("bad network %q: want CIDR or address", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// wrap returns l unchanged, or wrapped to require a PROXY header when the
// flag for which ("imaps" or "imap") is set. The frontend then sees the
// client's address as the connection's RemoteAddr.
func (p *proxyFlags) wrap(l net.Listener, which string) net.Listener {
	on := (which == "imaps" && p.imaps) || (which == "imap" && p.imap)
	if !on {
		return l
	}
	logger := p.logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("listener", which)
	return proxyproto.NewListener(l, proxyproto.Options{
		Required: true,
		Trusted:  p.trusted,
		OnError: func(remote net.Addr, err error) {
			logger.Warn("PROXY protocol: connection refused", "remote", remote.String(), "err", err)
		},
	})
}
