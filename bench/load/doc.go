// Package load fills N users' mailboxes with M messages each through IMAP
// APPEND, over several parallel connections, with a progress line on a
// writer (stderr in the CLI).
//
// Loading is idempotent: after a user's mailbox is complete, a marker
// mailbox named after the corpus (Options.Marker) is created; a later Load
// skips every user whose marker exists and whose mailbox holds exactly the
// expected count. A user whose load was interrupted has the mailbox
// emptied (STORE \Deleted, EXPUNGE) and loaded again, so a mailbox is never
// left with duplicates.
package load
