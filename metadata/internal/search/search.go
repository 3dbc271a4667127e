package search

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/postbus/postbus/metadata/base"
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
	root      node
	needsMeta bool
	needsBody bool
	iq        *IndexQuery
}

// Compile validates key and prepares it for evaluation. now is the time
// WITHIN (OLDER/YOUNGER) is relative to. It returns an error wrapping
// base.ErrInvalidArgument for a malformed tree.
func Compile(key *metadatapb.SearchKey, now time.Time) (*Matcher, error) {
	root, err := compileKey(key, 1, now)
	if err != nil {
		return nil, err
	}
	return &Matcher{
		root:      root,
		needsMeta: root.cost() > costState,
		needsBody: root.cost() >= costBody,
		iq:        indexQuery(root),
	}, nil
}

// NeedsMeta reports whether evaluation needs Message.Meta (anything beyond
// UID, flags and modseq).
func (m *Matcher) NeedsMeta() bool { return m.needsMeta }

// NeedsBody reports whether evaluation may read bodies (the key has a BODY
// or TEXT criterion); when false, Match may be given a nil BodySource.
func (m *Matcher) NeedsBody() bool { return m.needsBody }

// Match reports whether msg matches. It reads from bodies only for BODY/TEXT
// keys, and only when the rest of the key cannot decide alone.
//
// Errors: base.ErrInvalidArgument when Meta is nil but needed or bodies is
// nil when a body must be read; errors of bodies (wrapped) and of ctx.
func (m *Matcher) Match(ctx context.Context, msg *Message, bodies BodySource) (bool, error) {
	if msg == nil {
		return false, fmt.Errorf("search: nil message: %w", base.ErrInvalidArgument)
	}
	if m.needsMeta && msg.Meta == nil {
		return false, fmt.Errorf("search: uid %d: key needs MessageMeta, got none: %w", msg.UID, base.ErrInvalidArgument)
	}
	e := getEvaluation(ctx, msg, bodies)
	defer putEvaluation(e)
	return m.root.eval(e)
}
