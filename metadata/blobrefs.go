package metadata

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// blobRefsChunk is how many ids one BlobRefs message carries (~66 KiB).
const blobRefsChunk = 1024

// blobIndexSuffix is the length of the (blob id, uid) tail of a blob index
// key (schema table 0x18).
const blobIndexSuffix = 32 + 4

// ListBlobRefs streams the distinct blob ids of every message in the store,
// ascending, from one Pebble snapshot (the mark phase of the blob garbage
// collector, package metadata/gc).
//
// The blob index (table 0x18) is ordered by user and mailbox, not by blob,
// so the node sorts and deduplicates the ids in a scratch Pebble store in
// the system's temporary directory (TMPDIR), written without WAL or fsync
// and removed at the end. Memory stays bounded whatever the number of
// messages, and no write path maintains a second, blob-ordered index: the
// cost is paid by the collector (a few dozen octets of temporary disk per
// distinct body), not by every APPEND and EXPUNGE. Everything under the
// store's shard prefixes is listed, so a shard that is being handed off
// is listed by both nodes (a superset is safe for GC).
func (a *Admin) ListBlobRefs(_ *metadatapb.ListBlobRefsRequest, stream metadatapb.Admin_ListBlobRefsServer) error {
	n := a.n
	release, err := n.enterNode()
	if err != nil {
		return n.rpcErr("ListBlobRefs", err)
	}
	defer release()
	ctx := stream.Context()
	dir, err := os.MkdirTemp("", "postbus-blobrefs-")
	if err != nil {
		return n.rpcErr("ListBlobRefs", fmt.Errorf("metadata: blob refs scratch: %w", err))
	}
	defer os.RemoveAll(dir)
	scratch, err := pebble.Open(dir, &pebble.Options{DisableWAL: true, Logger: quietLogger{}})
	if err != nil {
		return n.rpcErr("ListBlobRefs", fmt.Errorf("metadata: blob refs scratch: %w", err))
	}
	defer scratch.Close()
	if err := n.collectBlobRefs(ctx, scratch); err != nil {
		return n.rpcErr("ListBlobRefs", err)
	}
	it, err := scratch.NewIter(nil)
	if err != nil {
		return n.rpcErr("ListBlobRefs", err)
	}
	defer it.Close()
	out := &metadatapb.BlobRefs{}
	for valid := it.First(); valid; valid = it.Next() {
		out.Ids = append(out.Ids, hex.EncodeToString(it.Key()))
		if len(out.Ids) == blobRefsChunk {
			if err := stream.Send(out); err != nil {
				return err
			}
			out = &metadatapb.BlobRefs{}
		}
	}
	if err := it.Error(); err != nil {
		return n.rpcErr("ListBlobRefs", err)
	}
	if len(out.Ids) > 0 {
		return stream.Send(out)
	}
	return nil
}

// collectBlobRefs writes the raw blob id of every blob index entry of every
// shard, read at one snapshot, as a key of scratch.
func (n *Node) collectBlobRefs(ctx context.Context, scratch *pebble.DB) error {
	snap := n.db.NewSnapshot()
	defer snap.Close()
	b := scratch.NewBatch()
	defer func() { b.Close() }()
	for shard := uint32(0); shard < n.shards; shard++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, err := snap.NewIter(&pebble.IterOptions{
			LowerBound: schema.ShardTableStart(shard, schema.TableBlobIndex),
			UpperBound: schema.ShardTableStart(shard, schema.TableBlobIndex+1),
		})
		if err != nil {
			return err
		}
		for valid := it.First(); valid; valid = it.Next() {
			k := it.Key()
			if len(k) < 6+blobIndexSuffix {
				it.Close()
				return fmt.Errorf("metadata: blob index key %x: %w", k, schema.ErrCorrupt)
			}
			if err := b.Set(k[len(k)-blobIndexSuffix:len(k)-4], nil, nil); err != nil {
				it.Close()
				return err
			}
			if b.Len() >= 1<<20 {
				if err := b.Commit(pebble.NoSync); err != nil {
					it.Close()
					return err
				}
				b.Close()
				b = scratch.NewBatch()
			}
		}
		if err := it.Close(); err != nil {
			return err
		}
	}
	return b.Commit(pebble.NoSync)
}
