// Package embedded runs a single-member etcd inside the process, for
// `postbus serve` (the all-in-one node uses the cluster code path) and for
// tests that need a real etcd. It listens on 127.0.0.1 only, on ports the
// kernel picks, and keeps its data in one directory.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// ErrStart is returned when the embedded etcd does not become ready.
var ErrStart = errors.New("embedded: etcd did not start")

// Etcd is a running single-member etcd.
type Etcd struct {
	e *embed.Etcd
	// Endpoints are the client URLs to pass to clientv3.
	Endpoints []string
}

// Start runs an etcd member with its data in dir (created if missing) and
// waits until it serves, or ctx ends.
func Start(ctx context.Context, dir string) (*Etcd, error) {
	cfg := embed.NewConfig()
	cfg.Name = "postbus"
	cfg.Dir = dir
	local := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls = []url.URL{local}
	cfg.AdvertiseClientUrls = []url.URL{local}
	cfg.ListenPeerUrls = []url.URL{local}
	cfg.AdvertisePeerUrls = []url.URL{local}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	// Keep the history short: the map is small, revisions are many.
	cfg.AutoCompactionMode = embed.CompactorModeRevision
	cfg.AutoCompactionRetention = "10000"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("%w: %w", ErrStart, ctx.Err())
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("%w: not ready after 60 s", ErrStart)
	}
	s := &Etcd{e: e}
	for _, l := range e.Clients {
		s.Endpoints = append(s.Endpoints, "http://"+l.Addr().String())
	}
	return s, nil
}

// Client returns a new client of the member; the caller closes it.
func (s *Etcd) Client() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   s.Endpoints,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
}

// Close stops the member.
func (s *Etcd) Close() { s.e.Close() }
