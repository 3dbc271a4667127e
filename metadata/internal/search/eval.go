package search

import (
	"context"
	"strings"
	"sync"

	"github.com/postbus/postbus/proto/metadatapb"
)

// evaluation is the per-message state of one Match call: the message, where
// its body comes from, and what has been derived from it so far (the parsed
// header), so that several keys share the work.
type evaluation struct {
	ctx       context.Context
	msg       *Message
	bodies    BodySource
	hdr       header // valid when hdrParsed
	hdrParsed bool
	scratch   []byte // folding buffer for header values
	find      needleSink
}

// evalPool recycles evaluations, whose buffers (header fields, scratch)
// would otherwise be allocated again for every message of a search.
var evalPool = sync.Pool{New: func() any { return new(evaluation) }}

// maxPooledScratch bounds the buffers an evaluation keeps when pooled, so
// that one message with a huge header does not pin memory.
const maxPooledScratch = 64 << 10

func getEvaluation(ctx context.Context, msg *Message, bodies BodySource) *evaluation {
	e := evalPool.Get().(*evaluation)
	e.ctx, e.msg, e.bodies, e.hdrParsed = ctx, msg, bodies, false
	return e
}

func putEvaluation(e *evaluation) {
	e.ctx, e.msg, e.bodies = nil, nil, nil
	e.find = needleSink{}
	if cap(e.scratch) > maxPooledScratch {
		e.scratch = nil
	}
	if cap(e.hdr.fields) > 1024 {
		e.hdr.fields = nil
	}
	// Drop references into the previous message's header block.
	clear(e.hdr.fields[:cap(e.hdr.fields)])
	e.hdr.fields = e.hdr.fields[:0]
	evalPool.Put(e)
}

// header returns the parsed top-level header, parsing it on first use.
func (e *evaluation) header() *header {
	if !e.hdrParsed {
		e.hdr.parse(e.msg.Meta.GetHeader())
		e.hdrParsed = true
	}
	return &e.hdr
}

type allNode struct{}

func (allNode) cost() cost                     { return costState }
func (allNode) eval(*evaluation) (bool, error) { return true, nil }

// andNode matches when every child does; children are cheapest first and
// the first mismatch decides.
type andNode struct {
	kids []node
	c    cost
}

func (n *andNode) cost() cost { return n.c }
func (n *andNode) eval(e *evaluation) (bool, error) {
	for _, k := range n.kids {
		ok, err := k.eval(e)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// orNode matches when any child does; children are cheapest first and the
// first match decides.
type orNode struct {
	kids []node
	c    cost
}

func (n *orNode) cost() cost { return n.c }
func (n *orNode) eval(e *evaluation) (bool, error) {
	for _, k := range n.kids {
		ok, err := k.eval(e)
		if err != nil || ok {
			return ok && err == nil, err
		}
	}
	return false, nil
}

type notNode struct{ kid node }

func (n *notNode) cost() cost { return n.kid.cost() }
func (n *notNode) eval(e *evaluation) (bool, error) {
	ok, err := n.kid.eval(e)
	if err != nil {
		return false, err
	}
	return !ok, nil
}

type uidNode struct{ set *metadatapb.UidSet }

func (uidNode) cost() cost { return costState }
func (n uidNode) eval(e *evaluation) (bool, error) {
	return n.set.Contains(e.msg.UID), nil
}

// flagNode: system flags and keywords both compare case-insensitively
// (RFC 9051 §2.3.2: flag names are atoms; servers treat them
// case-insensitively, as Dovecot and Cyrus do for keywords too).
type flagNode struct{ flag string }

func (flagNode) cost() cost { return costState }
func (n flagNode) eval(e *evaluation) (bool, error) {
	for _, f := range e.msg.Flags {
		if strings.EqualFold(f, n.flag) {
			return true, nil
		}
	}
	return false, nil
}

// modseqNode: RFC 7162 §3.1.5, MODSEQ n matches modseq >= n.
type modseqNode struct{ min uint64 }

func (modseqNode) cost() cost { return costState }
func (n modseqNode) eval(e *evaluation) (bool, error) {
	return e.msg.ModSeq >= n.min, nil
}

// sizeNode: RFC 9051 §6.4.4 LARGER/SMALLER are strict comparisons with
// RFC822.SIZE.
type sizeNode struct {
	larger bool
	n      uint64
}

func (sizeNode) cost() cost { return costMeta }
func (n sizeNode) eval(e *evaluation) (bool, error) {
	size := e.msg.summary().Size
	if n.larger {
		return size > n.n, nil
	}
	return size < n.n, nil
}

// objectIDNode: RFC 8474 §6 EMAILID / THREADID, exact match with the ids
// APPEND stored in the meta (a fixed field: no header parse).
type objectIDNode struct {
	id     string
	thread bool
}

// The ids are in Meta (fields email_id and thread_id), not in the Summary.
func (objectIDNode) cost() cost { return costHeader }
func (n objectIDNode) eval(e *evaluation) (bool, error) {
	if n.thread {
		return e.msg.Meta.GetThreadId() == n.id, nil
	}
	return e.msg.Meta.GetEmailId() == n.id, nil
}

// dateNode compares calendar days (RFC 9051 §6.4.4: "disregarding time and
// timezone", i.e. the date as written in the date's own zone).
type dateNode struct {
	kind dateKind
	op   metadatapb.DateOp
	day  int64 // dayNumber of the key's date
}

func (dateNode) cost() cost { return costMeta }
func (n dateNode) eval(e *evaluation) (bool, error) {
	d := messageDay(e.msg.summary(), n.kind)
	switch n.op {
	case metadatapb.DateOp_DATE_BEFORE:
		return d < n.day, nil
	case metadatapb.DateOp_DATE_ON:
		return d == n.day, nil
	default: // DATE_SINCE; Compile rejected anything else
		return d >= n.day, nil
	}
}

// messageDay is the calendar day of the message's date of the given kind,
// with the fallbacks described in the package documentation.
func messageDay(m Summary, kind dateKind) int64 {
	switch kind {
	case dateSent:
		if m.SentDate != 0 {
			return dayNumber(m.SentDate, m.SentZone)
		}
	case dateSaved:
		// RFC 8514 §4.3: without a save date, use the internal date.
		if m.SaveDate != 0 {
			return dayNumber(m.SaveDate, 0)
		}
	}
	return dayNumber(m.InternalDate, m.InternalZone)
}

// withinNode: RFC 5032 §3. OLDER n matches internal dates at or before
// now-n, YOUNGER n those at or after now-n (limit is now-n).
type withinNode struct {
	older bool
	limit int64
}

func (withinNode) cost() cost { return costMeta }
func (n withinNode) eval(e *evaluation) (bool, error) {
	t := e.msg.summary().InternalDate
	if n.older {
		return t <= n.limit, nil
	}
	return t >= n.limit, nil
}
