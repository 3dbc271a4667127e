package corpus

import "time"

// Message is one message ready for APPEND.
type Message struct {
	Raw   []byte    // RFC 5322 message, CRLF line endings
	Date  time.Time // internal date to give APPEND (zero: let the server pick)
	Flags []string  // IMAP flags to give APPEND, e.g. `\Seen`
}

// Source is a corpus: Len messages per mailbox, random access. The
// generator, the mbox reader and the Maildir reader implement it.
// Implementations are safe for concurrent use.
type Source interface {
	Len() int
	// Message returns message i (0 ≤ i < Len) for the mailbox of user u.
	Message(u, i int) (Message, error)
}

var (
	_ Source = (*Generator)(nil)
	_ Source = (*Mbox)(nil)
	_ Source = (*Maildir)(nil)
)
