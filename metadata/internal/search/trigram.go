package search

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/postbus/postbus/metadata/base"
)

// A trigram is three consecutive bytes of case-folded text (folded UTF-8,
// so a non-ASCII rune contributes its encoded bytes), packed as
// kind<<24 | b0<<16 | b1<<8 | b2. The kind says where the text came from:
// the body as BODY searches it, or the top-level header that TEXT searches
// besides the body. If a folded needle is a substring of one searchable
// unit of a message (a text part, one header field read as "Name: value"),
// every trigram of the needle is a trigram of that unit: that is the whole
// soundness argument of the index.
const (
	// KindBody marks trigrams of the body text (BODY and TEXT).
	KindBody uint32 = 0
	// KindHeader marks trigrams of the top-level header (TEXT only).
	KindHeader uint32 = 1 << 24
	// trigramSpace is the number of distinct trigram values of both kinds.
	trigramSpace = 2 << 24
)

// trigramSet collects the distinct trigrams of one message. A bitmap over
// the whole trigram space makes adding one an O(1) test; the list of
// those added lets Reset clear it without touching the 4 MiB of it.
type trigramSet struct {
	bits []uint64
	list []uint32
}

func newTrigramSet() *trigramSet {
	return &trigramSet{bits: make([]uint64, trigramSpace/64)}
}

func (s *trigramSet) add(t uint32) {
	w, b := t>>6, uint64(1)<<(t&63)
	if s.bits[w]&b == 0 {
		s.bits[w] |= b
		s.list = append(s.list, t)
	}
}

// reset empties the set for the next message.
func (s *trigramSet) reset() {
	for _, t := range s.list {
		s.bits[t>>6] = 0
	}
	s.list = s.list[:0]
}

// unitTrigrams adds the trigrams of one unit of folded text, given in
// pieces: w and n carry the last two bytes across pieces of one unit.
type unitTrigrams struct {
	set  *trigramSet
	kind uint32
	w    uint32 // the last (up to) two bytes of the unit so far
	n    int    // how many bytes of the unit have been seen, capped at 2
}

func (u *unitTrigrams) start() { u.w, u.n = 0, 0 }

func (u *unitTrigrams) write(folded []byte) {
	w, n := u.w, u.n
	for _, c := range folded {
		w = (w<<8 | uint32(c)) & 0xFFFFFF
		if n < 2 {
			n++
			continue
		}
		u.set.add(u.kind | w)
	}
	u.w, u.n = w, n
}

// trigramSink is the textSink of the index builder: it reads every unit
// to the end (it never stops the walk) and folds it exactly as
// streamContains does, so the bytes it sees are the bytes BODY searches.
type trigramSink struct {
	ctx  context.Context
	unit unitTrigrams
	buf  []byte // decoded text as read, plus an incomplete rune carried over
	fold []byte
	hdr  []byte
}

func (s *trigramSink) text(r io.Reader) (bool, error) {
	s.unit.start()
	pending := 0
	for {
		if err := s.ctx.Err(); err != nil {
			return false, err
		}
		n, rerr := r.Read(s.buf[pending:])
		data := s.buf[:pending+n]
		var rest int
		s.fold, rest = appendFold(s.fold[:0], data, rerr != nil)
		s.unit.write(s.fold)
		pending = copy(s.buf, data[len(data)-rest:])
		if rerr == io.EOF {
			return false, nil
		}
		if rerr != nil {
			return false, rerr
		}
	}
}

func (s *trigramSink) header(h *header) bool {
	s.hdr = headerTrigrams(s.hdr, &s.unit, h)
	return false
}

// headerTrigrams adds the trigrams of every field of h read as
// "Name: value", each field one unit, as headerTextContains searches them.
func headerTrigrams(scratch []byte, u *unitTrigrams, h *header) []byte {
	for i := range h.fields {
		scratch, _ = appendFold(scratch[:0], h.fields[i].name, true)
		scratch = append(scratch, ':', ' ')
		scratch, _ = appendFold(scratch, h.value(i), true)
		u.start()
		u.write(scratch)
	}
	return scratch
}

// Extractor computes the trigrams of messages for the index. It reuses
// its buffers from one message to the next; it is not safe for concurrent
// use.
type Extractor struct {
	set  *trigramSet
	sink trigramSink
}

// NewExtractor returns an Extractor. It holds a 4 MiB bitmap.
func NewExtractor() *Extractor {
	x := &Extractor{set: newTrigramSet()}
	x.sink.unit.set = x.set
	x.sink.buf = make([]byte, readBufSize)
	return x
}

// Trigrams returns the distinct trigrams, in no particular order, of the text that
// BODY and TEXT search in msg: the body (KindBody) and the top-level
// header (KindHeader). msg.Meta must be set. The slice is valid until the
// next call.
//
// Errors: those of bodies (wrapped) and of ctx; a transfer-encoding or
// charset error is not one (the part's text ends there, as for BODY).
func (x *Extractor) Trigrams(ctx context.Context, msg *Message, bodies BodySource) ([]uint32, error) {
	if msg == nil || msg.Meta == nil {
		return nil, fmt.Errorf("search: trigrams of a message without meta: %w", base.ErrInvalidArgument)
	}
	x.set.reset()
	e := getEvaluation(ctx, msg, bodies)
	defer putEvaluation(e)
	x.sink.ctx = ctx
	defer func() { x.sink.ctx = nil }()
	x.sink.unit.kind = KindHeader
	x.sink.hdr = headerTrigrams(x.sink.hdr, &x.sink.unit, e.header())
	x.sink.unit.kind = KindBody
	// With the headers of parts and encapsulated messages: TEXT searches
	// them, BODY does not, so the body postings are a superset of what
	// BODY reads (candidates stay sound) and cover what TEXT reads.
	if _, err := e.walkBody(&x.sink, true); err != nil {
		return nil, err
	}
	return x.set.list, nil
}

// maxNeedleTrigrams bounds the postings one needle looks up per segment.
// Requiring fewer of the needle's trigrams only lets more candidates
// through (still sound), while a 1000-byte needle would otherwise cost
// 998 lookups in every segment.
const maxNeedleTrigrams = 16

// needleTrigrams returns distinct trigrams of a folded needle of the
// given kind, ascending: all of them, or maxNeedleTrigrams spread over
// them; nil when the needle is shorter than three bytes.
func needleTrigrams(needle []byte, kind uint32) []uint32 {
	if len(needle) < 3 {
		return nil
	}
	out := make([]uint32, 0, len(needle)-2)
	for i := 0; i+3 <= len(needle); i++ {
		out = append(out, kind|uint32(needle[i])<<16|uint32(needle[i+1])<<8|uint32(needle[i+2]))
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) <= maxNeedleTrigrams {
		return out
	}
	picked := make([]uint32, 0, maxNeedleTrigrams)
	for i := range maxNeedleTrigrams {
		picked = append(picked, out[i*(len(out)-1)/(maxNeedleTrigrams-1)])
	}
	return picked
}
