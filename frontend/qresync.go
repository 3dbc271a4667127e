package frontend

import (
	"errors"
	"math"
	"slices"

	"github.com/emersion/go-imap/v2"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// The expunge log of the metadata node is never truncated today: it holds
// the UID and MODSEQ of every expunge since the mailbox was created (until
// the mailbox itself is deleted, which changes its id and UIDVALIDITY).
// Every VANISHED (EARLIER) answer below is therefore exact. Should the log
// ever be trimmed, RFC 7162 §3.2.6 requires that a mod-sequence below the
// oldest one remembered be answered as if every UID of the client's set
// that no longer exists were expunged; that fallback would go into
// vanishedSince, keyed on a "log starts at" MODSEQ the Changes RPC would
// then have to return.

// qresyncSelect answers the QRESYNC parameter of SELECT/EXAMINE after the
// usual responses (RFC 7162 §3.2.5): VANISHED (EARLIER) for the known UIDs
// expunged since the client's MODSEQ, then FETCH (UID MODSEQ FLAGS) for the
// known messages changed since.
func (c *conn) qresyncSelect(q *wire.QResyncParams) error {
	sel := c.sel
	if q.UIDValidity != sel.uidValidity {
		return nil // §3.2.5: ignore the rest, as if nothing changed
	}
	resp, err := c.vanishedSince(q.ModSeq)
	if err != nil {
		return err
	}
	// §3.2.5.2: a matching (sequence number, UID) pair says the client
	// knows every expunge up to that UID.
	floor := seqMatchFloor(sel, q.SeqMatch)
	var gone []uint32
	for _, uid := range resp.Expunged {
		if uid > floor && uidSetHas(q.KnownUIDs, uid) && sel.seqOf(uid) == 0 {
			gone = append(gone, uid)
		}
	}
	writeVanishedEarlier(c, gone)
	for _, st := range resp.Changed {
		if st == nil || !uidSetHas(q.KnownUIDs, st.Uid) {
			continue
		}
		seq := sel.seqOf(st.Uid)
		if seq == 0 {
			continue // arrived after the Select RPC: EXISTS comes later
		}
		c.writeStateFetch(seq, st, true)
		sel.reported[st.Uid] = st.Modseq
	}
	return nil
}

// vanishedSince asks the metadata node what changed in the selected mailbox
// after modseq (changed states and expunged UIDs, from the expunge log).
func (c *conn) vanishedSince(modseq uint64) (*metadatapb.ChangesResponse, error) {
	resp, err := c.srv.cfg.Metadata.Changes(c.ctx, &metadatapb.ChangesRequest{
		User: c.user, MailboxId: c.sel.id, SinceModseq: modseq,
	})
	if err != nil {
		return nil, rpcErr(err)
	}
	if resp.MailboxGone {
		return nil, &fatalError{err: errors.New("frontend: selected mailbox is gone"), bye: "selected mailbox was deleted or renamed away"}
	}
	return resp, nil
}

// fetchVanished answers the VANISHED modifier of UID FETCH (RFC 7162
// §3.2.6): the UIDs of the command's set expunged after changedSince, as
// VANISHED (EARLIER), before any FETCH response. UIDs still in this
// session's view are left out: the client learns of them, with the
// sequence-number bookkeeping, from the VANISHED that follows.
func (c *conn) fetchVanished(set imap.NumSet, changedSince uint64) error {
	resp, err := c.vanishedSince(changedSince)
	if err != nil {
		return err
	}
	var gone []uint32
	for _, uid := range resp.Expunged {
		if c.sel.seqOf(uid) == 0 && c.numSetHasUID(set, uid) {
			gone = append(gone, uid)
		}
	}
	writeVanishedEarlier(c, gone)
	return nil
}

// writeVanishedEarlier writes "* VANISHED (EARLIER) uids" (RFC 7162
// §3.2.10.1) unless there is nothing to report.
func writeVanishedEarlier(c *conn, uids []uint32) {
	if len(uids) == 0 {
		return
	}
	slices.Sort(uids)
	c.enc.Raw("* VANISHED (EARLIER) ").Raw(formatUIDs(uids)).CRLF()
}

// numSetHasUID reports whether the UID set of a UID command names uid; "$"
// is the saved search result, "*" is unbounded (an expunged UID above the
// last message still belongs to "n:*").
func (c *conn) numSetHasUID(set imap.NumSet, uid uint32) bool {
	if imap.IsSearchRes(set) {
		_, ok := slices.BinarySearch(c.sel.searchRes, uid)
		return ok
	}
	s, ok := set.(imap.UIDSet)
	if !ok {
		return false
	}
	return uidSetHas(s, uid)
}

// uidSetHas reports whether set names uid; a nil set names every UID (the
// absent known-uids of QRESYNC stand for 1:<UIDNEXT-1>, which holds every
// UID that ever existed: RFC 7162 §3.2.5.1).
func uidSetHas(set imap.UIDSet, uid uint32) bool {
	if set == nil {
		return true
	}
	for _, r := range set {
		lo, hi := starAt(uint32(r.Start), math.MaxUint32), starAt(uint32(r.Stop), math.MaxUint32)
		if lo > hi {
			lo, hi = hi, lo
		}
		if lo <= uid && uid <= hi {
			return true
		}
	}
	return false
}

// starAt maps the "*" of a set (0 in go-imap) to v.
func starAt(n, v uint32) uint32 {
	if n == 0 {
		return v
	}
	return n
}

// seqMatchFloor walks the (sequence number, UID) pairs of QRESYNC's
// seq-match-data (RFC 7162 §3.2.5.2) and returns the UID of the last pair
// that matches the view before the first mismatch: the client knows every
// expunge up to it. Pairs must ascend; the walk stops at the first that
// does not, so it is bounded by the size of the view.
func seqMatchFloor(sel *selected, m *wire.SeqMatch) uint32 {
	if m == nil {
		return 0
	}
	n := uint32(len(sel.uids))
	seqs := newRangeIter(len(m.Seqs), func(i int) (uint32, uint32) {
		return starAt(m.Seqs[i].Start, n), starAt(m.Seqs[i].Stop, n)
	})
	uids := newRangeIter(len(m.UIDs), func(i int) (uint32, uint32) {
		return starAt(uint32(m.UIDs[i].Start), sel.maxUID()), starAt(uint32(m.UIDs[i].Stop), sel.maxUID())
	})
	var floor, prev uint32
	for {
		seq, ok1 := seqs.next()
		uid, ok2 := uids.next()
		if !ok1 || !ok2 || seq <= prev || seq == 0 || seq > n || sel.uids[seq-1] != uid {
			return floor
		}
		floor, prev = uid, seq
	}
}

// rangeIter yields the numbers of a list of ranges in order, lazily (a
// range may be as wide as 1:4294967295).
type rangeIter struct {
	n        int
	at       func(int) (uint32, uint32)
	i        int
	cur, end uint32
	started  bool
}

func newRangeIter(n int, at func(int) (uint32, uint32)) *rangeIter {
	return &rangeIter{n: n, at: at}
}

func (it *rangeIter) next() (uint32, bool) {
	if it.started && it.cur < it.end {
		it.cur++
		return it.cur, true
	}
	if it.i >= it.n {
		return 0, false
	}
	lo, hi := it.at(it.i)
	if lo > hi {
		lo, hi = hi, lo
	}
	it.i++
	it.cur, it.end, it.started = lo, hi, true
	return lo, true
}
