// Package router is the frontend's view of a cluster of metadata nodes: a
// metadatapb.MetadataClient that sends every call to the node that owns the
// user's shard, according to the shard map a cluster.MapWatcher follows in
// etcd.
//
// Behaviour per call (the frontend sees one client, as with a single node):
//   - The owner is looked up in the current map; one grpc.ClientConn is kept
//     per node address.
//   - NOT_OWNER (the node no longer, or not yet, serves the shard) and a
//     shard in handoff are retried after the map changes or a short backoff,
//     within RetryBudget (default 5 s). A request that got NOT_OWNER was not
//     executed, so retrying it is safe for writes.
//   - An unassigned shard, an owner that is not registered (its lease is
//     gone: the node is down) or unreachable, fail at once with an error
//     matching base.ErrUnavailable (IMAP NO [UNAVAILABLE]); no call waits
//     for a dead node. A transport error is retried only if the map now
//     routes the user to another address or epoch.
//   - Errors from nodes are returned as the gRPC statuses they are, so
//     metadatapb.FromStatus restores their sentinel; the router's own errors
//     wrap base sentinels directly (FromStatus passes them through).
//   - Fetch is retried like a unary call until its first message arrives;
//     Watch is routed to the owner and ends with NOT_OWNER when the shard
//     moves, and the frontend subscribes again (frontend/watch.go).
//   - ListUsers asks every owner of a shard and merges the answers.
package router
