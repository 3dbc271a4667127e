// Package metadata is the metadata node: it owns users' mailbox state in
// Pebble and serves it over the gRPC service of proto/metadata.proto.
//
// Open returns a *Node, which implements metadatapb.MetadataServer. The
// handlers are thin: they validate the request, call the deterministic state
// machine of internal/state, and map errors once with metadatapb.ToStatus.
//
// Node.Admin returns the node's Admin service (admin.go, blobrefs.go):
// ListBlobRefs streams the sorted, distinct body ids of every message in
// the store for the blob collector (metadata/gc), Logout publishes a
// logout event to the user's Watch subscribers (frontends end the user's
// sessions), RenameUser moves a user's keys to a new name in one batch,
// ExportUser/ImportUser/DeleteUserIfUnchanged move a user to another node
// (userxfer.go), and NodeStatus describes the store. Admin RPCs are not fenced by the
// cluster's ownership gate: tools resolve the owner from the shard map.
//
// GetQuota and SetQuota (quota.go) read and set a user's RFC 9208 limits:
// STORAGE in KiB and MESSAGE, 0 meaning unlimited. Usage (sum of message
// sizes and count over every mailbox) is kept in the batch of every change;
// an Append or Copy that would go over a limit fails with ErrOverQuota and
// writes nothing, while a move between the user's mailboxes is never
// refused (internal/state/quota.go).
//
// Sort and Thread (sort.go) evaluate a search like Search and then order
// or thread the matches by RFC 5256/5957 (internal/threading: base
// subject, sent date, address keys, ORDEREDSUBJECT, REFERENCES), so a
// client's SORT or THREAD moves UIDs over the network, not metadata. The
// thread forest is returned flat, in preorder with child counts.
//
// GetMetadata and SetMetadata (annotations.go) keep RFC 5464 annotations
// of the user's mailboxes (by mailbox id, so they follow RENAME and go
// with DELETE) and the user's private server annotations, with limits on
// value size and on entries and octets per mailbox and per user
// (internal/state/annotations.go). They travel with the user's other
// keys in RenameUser and ExportUser/ImportUser.
//
// Search, Sort and Thread narrow BODY/TEXT keys with the body index
// (bodyindex*.go): trigram postings of message text in segments of
// consecutive UIDs, built by one paced background goroutine per node
// (queued by every change of a mailbox and by body searches), merged by
// eight once full, rebuilt when half a segment's messages are gone, dropped and rebuilt when a
// search finds one damaged. A search uses the segments that exist, scans
// what they do not cover (the tail below one segment, gaps), and matches
// every candidate exactly, so results never depend on the index. It is
// derived data: not exported with a user, dropped with its mailbox or
// user, written with CommitDerived under the user's writer lock.
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
