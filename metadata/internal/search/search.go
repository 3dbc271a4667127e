// Package search evaluates IMAP SEARCH criteria (RFC 9051 §6.4.4) over the
// messages of one mailbox, on the metadata node, close to the data.
//
// Everything but BODY and TEXT is answered from the stored records (flags,
// dates, sizes, the stored header block); BODY/TEXT read the body from the
// blob store and match case-insensitively on decoded text (DESIGN.md "Body
// search keeps IMAP semantics"). An index may later narrow the candidates;
// it must never change the results.
package search

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/postbus/postbus/proto/metadatapb"
)

// Message is what the evaluator sees of one message. Meta may be nil when
// the compiled Matcher does not need it (see Matcher.NeedsMeta).
type Message struct {
	UID    uint32
	ModSeq uint64
	Flags  []string
	Meta   *metadatapb.MessageMeta
}

// BodySource reads message bodies (the blob store). Open returns length bytes
// from offset (length < 0: to the end); the caller closes the reader.
type BodySource interface {
	Open(ctx context.Context, blobID string, offset, length int64) (io.ReadCloser, error)
}

// Matcher is a compiled search key. It is safe for concurrent use.
type Matcher struct {
	key *metadatapb.SearchKey
	now time.Time
}

// Compile validates key and prepares it for evaluation. now is the time
// WITHIN (OLDER/YOUNGER) is relative to. It returns an error wrapping
// base.ErrInvalidArgument for a malformed tree.
func Compile(key *metadatapb.SearchKey, now time.Time) (*Matcher, error) {
	return nil, errors.New("search: not implemented")
}

// NeedsMeta reports whether evaluation needs Message.Meta (anything beyond
// UID, flags and modseq).
func (m *Matcher) NeedsMeta() bool { return true }

// Match reports whether msg matches. It reads from bodies only for BODY/TEXT
// keys, and only when the rest of the key cannot decide alone.
func (m *Matcher) Match(ctx context.Context, msg *Message, bodies BodySource) (bool, error) {
	return false, errors.New("search: not implemented")
}
