package metadata

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata/base"
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
	// Blobs reads message bodies for SEARCH BODY/TEXT. May be nil when no
	// search needs bodies (such a search then fails).
	Blobs blobstore.Store
	// Logger receives operational logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock read by handlers (internal/save dates, UIDVALIDITY);
	// nil means time.Now.
	Now func() time.Time
}

// ErrClosed is returned by RPCs on a closed node.
var ErrClosed = errors.New("metadata: node closed")

// Node is one metadata node serving every shard of its store. It is safe for
// concurrent use.
type Node struct {
	metadatapb.UnimplementedMetadataServer

	opts Options
	log  *slog.Logger
	now  func() time.Time
}

var _ metadatapb.MetadataServer = (*Node)(nil)

// Open opens (or creates) the store in opts.Dir.
func Open(opts Options) (*Node, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("metadata: empty Dir: %w", base.ErrInvalidArgument)
	}
	n := &Node{opts: opts, log: opts.Logger, now: opts.Now}
	if n.log == nil {
		n.log = slog.Default()
	}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

// Close closes the store. RPCs in flight may fail with ErrClosed.
func (n *Node) Close() error { return nil }
