// Package gc is the blob garbage collector: a mark-and-sweep pass that
// deletes message bodies no message references any more (DESIGN.md "blob
// store": deletion never happens on a request path).
//
// One pass (Run):
//
//  1. cutoff = now - grace (default 24 h), read before anything else.
//  2. Mark: every metadata node streams the distinct blob ids of all the
//     messages in its store, ascending, from one Pebble snapshot
//     (Admin.ListBlobRefs; the node sorts them on disk, see
//     metadata.Admin.ListBlobRefs). The collector k-way merges the streams
//     into one ascending, duplicate-free sequence. Nothing holds all ids in
//     memory: the collector holds one chunk per node.
//  3. Once every stream has answered (each node has taken its snapshot),
//     Options.Stable may veto the pass (cluster: a shard moved between
//     nodes while they took their snapshots, so one shard may have been
//     seen by neither; nothing is deleted and the next pass retries).
//  4. Sweep: the store's blobs are listed in ascending id order
//     (blobstore.ListSorted) and merge-joined with the marks. A blob that is
//     unreferenced and whose modification time is before cutoff is deleted
//     with blobstore.DeleteIfOlder, which re-reads the time right before
//     deleting.
//
// Why no concurrent APPEND loses its body: APPEND puts the body, then
// commits the message (DESIGN.md "body first, then metadata"). Put of bytes
// already stored refreshes the blob's modification time (blobstore doc).
// If the message commits before a node's snapshot, the blob is marked. If
// it commits after, its Put happened after cutoff unless the APPEND took
// longer than the grace period between its Put and its commit, so either
// the listing shows a young blob, or the re-check inside DeleteIfOlder sees
// the refreshed time (Dir closes that last window entirely with a rename;
// S3 leaves one round trip, documented at blobstore.S3.DeleteIfOlder).
//
// Passes are idempotent and may run concurrently (two collectors only ever
// delete unreferenced old blobs). In a cluster the periodic pass runs only
// on the metadata node elected under the cluster prefix (Elected); in
// `postbus serve` the node runs it every --gc-interval; `postbus gc` runs
// one pass on demand, with DryRun reporting what it would delete.
package gc
