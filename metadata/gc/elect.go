package gc

import (
	"context"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// ElectionKey is the etcd key (under the cluster prefix) of the collector
// election.
const ElectionKey = "gc-leader"

// Elected runs fn while this process leads the election at prefix +
// ElectionKey, with id as its value, until ctx is done: every metadata
// node campaigns, one runs the periodic collector. If leadership is lost
// (session expired), fn's context is cancelled and the node campaigns
// again.
func Elected(ctx context.Context, cli *clientv3.Client, prefix, id string, log *slog.Logger, fn func(ctx context.Context)) {
	if log == nil {
		log = slog.Default()
	}
	for ctx.Err() == nil {
		if err := leadOnce(ctx, cli, prefix, id, log, fn); err != nil && ctx.Err() == nil {
			log.Warn("gc: election", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func leadOnce(ctx context.Context, cli *clientv3.Client, prefix, id string, log *slog.Logger, fn func(ctx context.Context)) error {
	sess, err := concurrency.NewSession(cli, concurrency.WithTTL(10), concurrency.WithContext(ctx))
	if err != nil {
		return err
	}
	defer func() {
		// Revoke with a context of its own: the session's is ctx, often
		// done by now, and an unrevoked lease would keep the election
		// key (and every other candidate waiting) for its whole TTL.
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		cli.Revoke(rctx, sess.Lease())
		cancel()
		sess.Close()
	}()
	el := concurrency.NewElection(sess, prefix+ElectionKey)
	if err := el.Campaign(ctx, id); err != nil {
		return err
	}
	log.Info("gc: this node runs the blob collector")
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(sessDone(sess), cancel)
	defer stop()
	fn(lctx)
	return nil
}

// sessDone is a context that ends when the session's lease is lost.
func sessDone(s *concurrency.Session) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-s.Done()
		cancel()
	}()
	return ctx
}
