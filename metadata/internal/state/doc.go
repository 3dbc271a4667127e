// Package state is the deterministic mailbox state machine of a metadata
// node: users, mailboxes, messages, UID/MODSEQ allocation and the change
// log, stored in Pebble with the key schema of package schema.
//
// Every write is a function of (command, state read through the write
// batch) → writes into that batch. Commands carry every time they need
// (internal date, save date, the clock UIDVALIDITY is derived from) as a
// "now" argument in unix seconds; nothing inside apply reads a clock or a
// random source, so a shard can later be replicated by applying the same
// commands on several nodes (Raft).
//
// Invariants:
//   - Writers of one user are serialised (striped mutexes), so the
//     read-modify-write of a command sees no concurrent change; readers use
//     Pebble snapshots and take no lock.
//   - A command's batch is committed with pebble.Sync before the command
//     returns; on error nothing is written.
//   - MODSEQ is per mailbox, allocated as HighestModSeq+1 inside the batch of
//     the change: strictly increasing in commit order. One command allocates
//     at most one MODSEQ per mailbox; messages it did not change keep theirs.
//   - UIDs are allocated from UIDNext, which only grows: never reused.
//   - Counters (messages, unseen, deleted, recent, size) are updated in the
//     batch of every change, never recomputed.
//   - Each live message has exactly one modseq index entry (at its current
//     modseq); each expunged one an expunge log entry at its expunge modseq.
package state
