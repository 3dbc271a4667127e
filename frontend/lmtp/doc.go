// Package lmtp receives mail from an MTA (Postfix, Exim) over LMTP
// (RFC 2033), on TCP or unix-socket listeners, and delivers it through
// package deliver. The protocol engine is github.com/emersion/go-smtp in
// LMTP mode; this package is its backend.
//
// LMTP has no authentication here (as with Dovecot's and Cyrus's LMTP):
// whoever reaches a listener can deliver to any user, so it belongs on
// loopback, a private network, or a unix socket whose directory only the
// MTA can enter.
//
// # Recipients
//
// RCPT TO:<local[+detail][@domain]> names a postbus user:
//
//   - The part after the first "+" of the local part is a detail: the
//     message goes into the user's mailbox of that name when it exists
//     (matched exactly, else case-insensitively, "/" as hierarchy
//     separator), and into INBOX otherwise. A user name therefore never
//     contains "+" as far as LMTP is concerned.
//   - The user is "local@domain" if such a user exists (sites whose login
//     names are addresses), else "local", else either in lower case: the
//     domain is otherwise ignored,
//     so every domain the MTA routes here reaches the same users. The MTA
//     decides which domains are local.
//   - The user lookup is GetMailbox(user, "INBOX"): the metadata service has
//     no GetUser RPC, and a user always has an INBOX. An unknown user is
//     refused at RCPT with 550 5.1.1 (RFC 3463), a metadata failure with
//     451 4.3.0 (the MTA retries).
//
// # Data
//
// After DATA the body is stored once in the blob store (content addressed,
// deliver.Prepare) and appended per recipient; each recipient gets its own
// reply (RFC 2033 §4.2), in RCPT order: 250 only once that recipient's
// append is durable, 452 4.2.2 over quota, 552 5.3.4 for a message over
// the size limit (also advertised with SIZE, RFC 1870), 451 4.3.0 for
// anything temporary. A recipient named twice gets two replies and one
// copy. Appends use skip_duplicate, so an MTA that retries a delivery
// whose replies it lost (the same queue file, byte for byte) does not
// create a second copy.
package lmtp
