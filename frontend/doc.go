// Package frontend is the IMAP session engine of postbus: it owns client
// connections (implicit TLS per RFC 8314, or cleartext plus STARTTLS), runs
// the RFC 9051 / RFC 3501 state machine and turns commands into calls to a
// metadata node (metadatapb.MetadataClient) and to the blob store.
//
// Invariants:
//   - The frontend keeps no durable state. Everything a session knows about
//     its selected mailbox (the sequence-number ↔ UID view, the last MODSEQ it
//     has seen, the \Recent UIDs it claimed, the SEARCHRES result) lives in
//     memory for the life of the session and is rebuilt by SELECT.
//   - One goroutine per connection reads commands and writes every response,
//     so writes are serialised without a lock. IDLE adds one short-lived
//     reader goroutine for the DONE line; the command goroutine keeps writing.
//     Once NOTIFY (RFC 5465) is active, the read of each next command moves
//     to such a goroutine too, so that notifications go out between
//     commands; the decoder's "+" continuation requests, written from it,
//     and the notifications are serialised by conn.wmu (notify_wait.go).
//   - Other sessions' changes are learnt with Metadata.Changes and applied to
//     the view only where RFC 9051 §7.5.1 allows: never an EXPUNGE while
//     answering FETCH, STORE, SEARCH or COPY by sequence number.
//   - CONDSTORE/QRESYNC (RFC 7162; condstore.go, qresync.go): every mailbox
//     has persistent MODSEQs, so HIGHESTMODSEQ is always sent and NOMODSEQ
//     never. The HIGHESTMODSEQ a session announces mid-session stays below
//     any expunge it still holds back (selected.safeModseq), so a client
//     that caches it and disconnects loses nothing. Once QRESYNC is enabled
//     every expunge, own or others', is a VANISHED; the VANISHED (EARLIER)
//     answers come from the metadata node's expunge log, which is complete.
//   - Every metadata error passes through metadatapb.FromStatus and is mapped
//     to an IMAP response in exactly one place (errors.go).
//   - Change notification: one Metadata.Watch stream per user per Server,
//     shared by all of that user's sessions (watch.go); a notification marks
//     the affected sessions dirty, and they call Changes at the next point
//     where they may speak. A logout event on that stream (an administrator's
//     `postbus kick`, a user rename) ends every session of the user with
//     BYE [UNAVAILABLE] at its next safe point, as shutdown does (kick.go).
//     With NOTIFY the session also collects the watched mailboxes that
//     changed and whether the mailbox list did (notify_watch.go); STATUS
//     counters come from GetMailbox, MailboxName/SubscriptionChange from
//     diffing ListMailboxes snapshots (notify_list.go).
//   - Annotations (RFC 5464 METADATA, RFC 9590 LIST-METADATA; annotate.go)
//     are stored on the metadata node with the user's mailboxes; only the
//     read-only server entries /shared/admin and /shared/comment come from
//     Config. No unsolicited METADATA responses are sent.
//   - COMPRESS=DEFLATE (RFC 4978, compress.go) sits between the codec and
//     deadlineConn, above TLS: every Encoder.Flush leaves the compressor as
//     a whole sync-flushed burst, so nothing the client waits for is held
//     back, and the decoder's limits apply to decompressed octets.
package frontend
