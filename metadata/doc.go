// Package metadata is the metadata node: it owns users' mailbox state in
// Pebble and serves it over the gRPC service of proto/metadata.proto.
//
// Open returns a *Node, which implements metadatapb.MetadataServer. The
// handlers are thin: they validate the request, call the deterministic state
// machine of internal/state, and map errors once with metadatapb.ToStatus.
//
// Invariants (DESIGN.md "Reliability rules", "Decisions already taken"):
//   - A state-changing RPC returns only after its Pebble batch is committed
//     with fsync; a failed RPC leaves nothing half-written.
//   - UIDs are never reused within a mailbox incarnation; MODSEQs rise per
//     mailbox in commit order, allocated in the same batch as the change.
//   - Every committed change is published to Watch subscribers of its user
//     after the commit, never before; a slow subscriber never blocks writers
//     (internal/hub coalesces its pending events).
//   - Times (internal date, save date, UIDVALIDITY seeds) are read from
//     Options.Now in the handler and passed into the state machine as part
//     of the command, so applying a command is deterministic.
package metadata
