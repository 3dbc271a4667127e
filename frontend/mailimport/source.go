package mailimport

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Message is one message read from a Source.
type Message struct {
	// Folder is the mailbox, "/"-separated UTF-8; "" is the root (INBOX).
	Folder string
	// Name says where the message came from, for reports: a file name, or
	// "FILE:LINE" in an mbox.
	Name string
	// Flags are IMAP flags and keywords (\Seen, $Forwarded, …).
	Flags []string
	// Date is the internal date; zero if the source has none.
	Date time.Time
	// Body is the raw message with CRLF line endings. It is valid until
	// the next call to Next.
	Body io.Reader
}

// Source yields the messages of a mail store.
type Source interface {
	// Next returns the next message, io.EOF after the last one, or a
	// *BrokenError for a message that was skipped (call Next again).
	Next() (*Message, error)
	// Close releases the files of the Source.
	Close() error
}

// ErrBroken matches every *BrokenError.
var ErrBroken = errors.New("mailimport: broken message")

// BrokenError reports a message that is not a mail message and was skipped.
type BrokenError struct {
	Name   string // as Message.Name
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("mailimport: %s: broken message: %s", e.Name, e.Reason)
}

// Is makes errors.Is(err, ErrBroken) true.
func (e *BrokenError) Is(target error) bool { return target == ErrBroken }

// ErrFormat reports a store that is not of the format it was opened as
// (an mbox not starting with "From ", a directory without cur/).
var ErrFormat = errors.New("mailimport: not a mail store of this format")
