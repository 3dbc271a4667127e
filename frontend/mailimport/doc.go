// Package mailimport reads and writes the mail stores people migrate from
// and to: mbox files (mboxrd and mboxo) and Maildir/Maildir++ trees
// (Dovecot, Courier), and imports them into a postbus user through package
// deliver. `postbus import` and `postbus export` are thin wrappers around it.
//
// # Reading
//
// A Source yields Messages one at a time, each with its folder ("/"-
// separated UTF-8, "" for the store's root, which is INBOX), flags and
// internal date; a Message's body is a stream valid until the next call to
// Next. Bodies are normalised to CRLF line endings (RFC 5322 §2.3; IMAP
// serves messages as they are stored); the normalisation is
// deterministic, so the same source always yields the same bytes and hence
// the same blob id, which is what makes re-imports idempotent.
//
// A message that cannot be a mail message (empty, or whose first lines are
// not header fields, or whose header block exceeds 1 MiB) is reported as a
// *BrokenError by Next and skipped; reading continues with the next one.
// Any other error ends the Source.
//
// mbox: a message starts at a line beginning "From " that is the first
// line of the file or follows an empty line; the empty line before it
// belongs to the separator. Lines ">From ", ">>From ", … are unquoted by
// one ">" (mboxrd); with MboxO only ">From " is (mboxo, where ">>From "
// was never quoted). The From_ line's date (asctime, with or without a
// zone) is the internal date. Status (R: \Seen), X-Status (A: \Answered,
// F: \Flagged, T: \Draft, D: \Deleted) and X-Keywords (keywords) become
// flags and are removed from the stored header, as are the other headers
// mbox MUAs keep their state in (X-UID, X-IMAP, X-IMAPbase), as Dovecot
// does.
//
// Maildir: the root's cur/ and new/ are INBOX; in Maildir++ every
// ".A.B" directory (with cur/ and new/) is the folder "A/B", its name in
// modified UTF-7 (RFC 3501 §5.1.3) as Dovecot and Courier write it. A file
// name's ":2," info carries the flags: S \Seen, R \Answered, F \Flagged,
// D \Draft, T \Deleted, P $Forwarded, and a…z the keywords listed in the
// folder's dovecot-keywords file. The internal date is the earlier of the
// file's mtime and the delivery timestamp that starts its name (Dovecot
// sets the mtime to the internal date; a copy that did not keep mtimes
// makes them later than the name).
//
// # Writing
//
// MaildirWriter writes Maildir++ the same way round: folders as ".A.B"
// (modified UTF-7; a "." inside a name, which Maildir++ cannot hold,
// becomes "_" and is reported), flags in the names, keywords in
// dovecot-keywords (at most 26 per folder, the Maildir limit; more are
// reported and dropped), the internal date as the file's mtime and name
// timestamp, LF line endings as Maildir tools expect. File names are
// derived from UIDVALIDITY and UID, so exporting again into the same tree
// only renames files whose flags changed and adds new messages.
//
// # Importing
//
// Importer appends every message of a Source to a user's mailboxes with
// skip_duplicate: a body already in the target mailbox is not added again,
// so an interrupted import is resumed by running it again. Folders are
// created as needed, and subscribed (many clients show only subscribed
// folders). A message without an internal date in its source (an
// mbox From_ line without a date) gets its Date: header's, else the time of
// the import.
package mailimport
