package metadata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/password"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/metadata/internal/state"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Options configures a metadata node.
type Options struct {
	// Dir is the Pebble data directory; it is created if missing.
	Dir string
	// Shards is the number of virtual shards (base.ShardOf). It is persisted
	// on first open. 0 means "whatever the store was created with", or
	// base.DefaultShards for a new store; any other value that differs from
	// the persisted one makes Open fail.
	Shards uint32
	// Blobs reads message bodies for SEARCH BODY/TEXT. May be nil; a search
	// that needs a body then fails with base.ErrUnavailable.
	Blobs blobstore.Store
	// Logger receives operational logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock read by handlers (internal/save dates, UIDVALIDITY);
	// nil means time.Now.
	Now func() time.Time
	// CacheSize is the Pebble block cache in bytes; 0 means
	// DefaultCacheSize. FETCH and SEARCH read the same message records
	// again and again: with Pebble's 8 MiB default they are decompressed
	// from the files on every pass once a mailbox outgrows it.
	CacheSize int64
	// BodyIndex configures the trigram index of SEARCH BODY/TEXT
	// (bodyindex.go); it is on by default when Blobs is set.
	BodyIndex BodyIndexOptions
}

// DefaultCacheSize is the block cache of a node when Options.CacheSize is
// 0: the message records of a few 10k-message mailboxes, well inside the
// memory budget of an all-in-one server.
const DefaultCacheSize = 128 << 20

// ErrClosed is returned by RPCs on a closed node.
var ErrClosed = fmt.Errorf("metadata: node closed: %w", base.ErrUnavailable)

// Node is one metadata node serving every shard of its store. It is safe for
// concurrent use. Stop the gRPC server before Close: Close waits for RPCs
// that use the store to return.
type Node struct {
	metadatapb.UnimplementedMetadataServer

	log      *slog.Logger
	now      func() time.Time
	blobs    blobstore.Store
	db       *pebble.DB
	shards   uint32
	st       *state.Store
	hub      *hub.Hub
	pwParams password.Params
	index    *bodyIndexer // nil when the body index is off

	// closing is cancelled by Close; it ends Watch streams.
	closing context.Context
	cancel  context.CancelFunc
	mu      struct {
		sync.RWMutex // held for reading by every RPC that uses db
		closed       bool
	}
}

var _ metadatapb.MetadataServer = (*Node)(nil)

// Open opens (or creates) the store in opts.Dir, initialising or migrating
// its schema (internal/schema) and checking its shard count.
func Open(opts Options) (*Node, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("metadata: empty Dir: %w", base.ErrInvalidArgument)
	}
	if opts.Shards >= schema.MaxShards {
		return nil, fmt.Errorf("metadata: %d shards, at most %d: %w", opts.Shards, schema.MaxShards-1, base.ErrInvalidArgument)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	cacheSize := opts.CacheSize
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	cache := pebble.NewCache(cacheSize)
	db, err := pebble.Open(opts.Dir, &pebble.Options{Logger: quietLogger{}, Cache: cache})
	cache.Unref() // the DB holds its own reference until it is closed
	if err != nil {
		return nil, fmt.Errorf("metadata: open pebble: %w", err)
	}
	n := &Node{log: opts.Logger, now: opts.Now, blobs: opts.Blobs, db: db, hub: hub.New(), pwParams: password.Default}
	if n.log == nil {
		n.log = slog.Default()
	}
	if n.now == nil {
		n.now = time.Now
	}
	from, err := schema.Migrate(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if n.shards, err = schema.Shards(db, opts.Shards, base.DefaultShards); err != nil {
		db.Close()
		return nil, fmt.Errorf("metadata: %w", err)
	}
	n.closing, n.cancel = context.WithCancel(context.Background())
	var pub state.Publisher = n.hub
	if !opts.BodyIndex.Disabled && n.blobs != nil {
		n.index = newBodyIndexer(n, opts.BodyIndex)
		pub = indexPublisher{hub: n.hub, idx: n.index}
	}
	n.st = state.New(db, n.shards, pub)
	if n.index != nil {
		go n.index.run(n.closing)
	}
	n.log.Info("metadata: opened", "dir", opts.Dir, "shards", n.shards, "schema_from", from, "schema", schema.Version)
	return n, nil
}

// Close ends Watch streams and the body indexer, waits for in-flight RPCs
// and closes the store.
func (n *Node) Close() error {
	n.cancel()
	if n.index != nil {
		<-n.index.done // the indexer uses the store without enter
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mu.closed {
		return nil
	}
	n.mu.closed = true
	if err := n.db.Close(); err != nil {
		return fmt.Errorf("metadata: close: %w", err)
	}
	return nil
}

// enter admits an RPC that uses the store; the caller must call the
// returned release. It also validates the user name.
func (n *Node) enter(user string) (func(), error) {
	if err := state.ValidateUser(user); err != nil {
		return nil, err
	}
	n.mu.RLock()
	if n.mu.closed {
		n.mu.RUnlock()
		return nil, ErrClosed
	}
	return n.mu.RUnlock, nil
}

func (n *Node) nowUnix() int64 { return n.now().Unix() }

// rpcErr maps an error once at the gRPC boundary, logging unexpected ones.
func (n *Node) rpcErr(method string, err error) error {
	if err == nil {
		return nil
	}
	if !isSentinel(err) {
		n.log.Error("metadata: rpc failed", "method", method, "err", err)
	}
	return metadatapb.ToStatus(err)
}

var sentinels = []error{
	base.ErrNoSuchUser, base.ErrUserExists, base.ErrAuthFailed, base.ErrNoSuchMailbox,
	base.ErrMailboxExists, base.ErrMailboxHasChild, base.ErrInvalidName, base.ErrNoSuchMessage,
	base.ErrOverQuota, base.ErrTooBig, base.ErrInvalidArgument, base.ErrNotOwner,
	base.ErrNoSuchBlob, base.ErrConflict, base.ErrUnavailable, context.Canceled, context.DeadlineExceeded,
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// quietLogger sends Pebble's info chatter nowhere but keeps errors.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Errorf(format string, args ...interface{}) {
	slog.Error(fmt.Sprintf("pebble: "+format, args...))
}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	slog.Error(fmt.Sprintf("pebble: fatal: "+format, args...))
	os.Exit(1)
}
