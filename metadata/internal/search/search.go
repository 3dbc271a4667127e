package search

import (
	"context"
	"fmt"
	"io"
	"slices"
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
	// Summary, when set, gives the size and dates; otherwise they are read
	// from Meta. The metadata node sets it from the message's state record
	// so that SEARCH by size or date reads no meta record at all.
	Summary *Summary
	// Digest, when set, answers FROM/TO/CC/BCC/SUBJECT (see Digest);
	// otherwise, or when it is of another version, they parse the header
	// in Meta.
	Digest []byte
	Meta   *metadatapb.MessageMeta
}

// Summary is the size and dates of a message, as in its MessageMeta
// (unix seconds, zone offsets east of UTC in seconds; SentDate 0: none).
type Summary struct {
	Size         uint64
	InternalDate int64
	InternalZone int32
	SaveDate     int64
	SentDate     int64
	SentZone     int32
}

// summary is msg.Summary, or the same read from Meta.
func (msg *Message) summary() Summary {
	if msg.Summary != nil {
		return *msg.Summary
	}
	m := msg.Meta
	return Summary{
		Size: m.GetSize(), InternalDate: m.GetInternalDate(), InternalZone: m.GetInternalDateZone(),
		SaveDate: m.GetSaveDate(), SentDate: m.GetSentDate(), SentZone: m.GetSentDateZone(),
	}
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
	// needsSummary: a size or date key reads Message.Summary (or Meta).
	needsSummary bool
	needsBody    bool
	iq           *IndexQuery
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
		root:         root,
		needsMeta:    root.cost() > costDigest,
		needsSummary: usesSummary(root),
		needsBody:    root.cost() >= costBody,
		iq:           indexQuery(root),
	}, nil
}

// MetaFields lists the MessageMeta field numbers evaluation reads given
// Message.Summary and Message.Digest, so that the store decodes only
// those: the header for header keys, the object ids for EMAILID/THREADID;
// nil means every field (BODY/TEXT walk the MIME tree and read the blob).
// Only meaningful when NeedsMeta.
func (m *Matcher) MetaFields() []uint32 {
	if m.root.cost() >= costBody {
		return nil
	}
	var f []uint32
	walk(m.root, func(n node) {
		switch n.(type) {
		case *headerNode:
			// Digest fields too: a key that needs Meta is scanned
			// without digests.
			if !slices.Contains(f, 9) {
				f = append(f, 9) // MessageMeta.header
			}
		case objectIDNode:
			if !slices.Contains(f, 21) {
				f = append(f, 21, 22) // email_id, thread_id
			}
		}
	})
	if len(f) == 0 {
		// Only digest fields, for a message without a digest.
		f = append(f, 9)
	}
	return f
}

// NeedsDigest reports whether the key is answered from size, dates, flags
// and Message.Digest alone: give it the digest (or, for a message without
// one, the header in Meta).
func (m *Matcher) NeedsDigest() bool { return m.root.cost() == costDigest }

// NeedsMeta reports whether evaluation needs Message.Meta: anything beyond
// UID, flags, modseq and, given Message.Summary and Message.Digest, size,
// dates and the digest's header fields.
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
	if m.needsSummary && msg.Summary == nil && msg.Meta == nil {
		return false, fmt.Errorf("search: uid %d: key needs the size or dates, got no Summary or MessageMeta: %w", msg.UID, base.ErrInvalidArgument)
	}
	e := getEvaluation(ctx, msg, bodies)
	defer putEvaluation(e)
	return m.root.eval(e)
}

// usesSummary reports whether the tree has a size or date key.
func usesSummary(root node) bool {
	found := false
	walk(root, func(n node) {
		switch n.(type) {
		case sizeNode, dateNode, withinNode:
			found = true
		}
	})
	return found
}

// walk calls fn for n and every node under it.
func walk(n node, fn func(node)) {
	fn(n)
	switch n := n.(type) {
	case *andNode:
		for _, k := range n.kids {
			walk(k, fn)
		}
	case *orNode:
		for _, k := range n.kids {
			walk(k, fn)
		}
	case *notNode:
		walk(n.kid, fn)
	}
}
