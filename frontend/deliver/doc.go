// Package deliver is the one path by which a message body enters postbus
// outside an IMAP session's own code: LMTP delivery, `postbus import`, and
// (once switched over) IMAP APPEND. It spools the body (memory up to 1 MiB,
// then an unlinked-on-close temporary file), analyses it once
// (ENVELOPE, BODYSTRUCTURE, header fields), stores it in the blob store and
// then asks the metadata node to append it (DESIGN.md "Body first, then
// metadata").
//
// # Invariants
//
//   - A message is reported delivered (a UID returned) only after the blob
//     store has the body durably and the metadata Append RPC has returned,
//     which itself returns only after its batch is fsynced: a caller may
//     acknowledge (LMTP 250, APPEND OK) as soon as Deliver or AppendTo
//     returns nil.
//   - A body is stored once however many mailboxes it goes to: the blob
//     store is content addressed, and Prepare/AppendTo split the work so
//     that LMTP puts a message once and appends it per recipient.
//   - A body that the metadata append never references (the RPC failed) is
//     left in the blob store for the garbage collector: deleting it here
//     could race another delivery of the same bytes.
//   - Errors match the sentinels of metadata/base with errors.Is:
//     ErrTooBig (MaxSize), ErrNoSuchUser, ErrNoSuchMailbox, ErrOverQuota,
//     ErrInvalidArgument (bad flags), ErrUnavailable (node unreachable).
//     Read errors of the caller's reader are returned wrapped as they are.
package deliver
