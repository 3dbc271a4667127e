package frontend

import (
	"errors"
	"slices"

	"github.com/postbus/postbus/proto/metadatapb"
)

// syncView asks the metadata node what other sessions changed in the
// selected mailbox since the view's MODSEQ — when forced or when a Watch
// notification arrived — and tells the client: FETCH FLAGS for changed
// flags, EXPUNGE (VANISHED with QRESYNC) for removed messages (only if allowExpunge, RFC 9051
// §7.5.1; otherwise they wait in sel.pending), EXISTS for new messages.
func (c *conn) syncView(allowExpunge, force bool) error {
	sel := c.sel
	if sel == nil {
		return nil
	}
	if c.cs.holdVanished {
		allowExpunge, c.cs.holdVanished = false, false
	}
	dirty := c.sub != nil && c.sub.takeDirty()
	if force || dirty || sel.stale {
		// A read-write session claims the \Recent of messages that
		// arrived since, as SELECT does (RFC 3501 §2.3.2); EXAMINE never.
		resp, err := c.srv.cfg.Metadata.Changes(c.ctx, &metadatapb.ChangesRequest{
			User: c.user, MailboxId: sel.id, SinceModseq: sel.modseq, ClaimRecent: !sel.readOnly,
		})
		if err != nil {
			sel.stale = true // try again at the next occasion
			return rpcErr(err)
		}
		sel.stale = false
		if resp.MailboxGone {
			return &fatalError{err: errors.New("frontend: selected mailbox is gone"), bye: "selected mailbox was deleted or renamed away"}
		}
		c.applyChanges(resp)
	}
	if allowExpunge && len(sel.pending) > 0 {
		c.reportExpunged(slices.Clone(sel.pending)) // EXPUNGE or VANISHED
		sel.pending = sel.pending[:0]
	}
	return nil
}

// applyChanges folds a Changes answer into the view and writes FETCH and
// EXISTS responses. Expunges only become pending.
func (c *conn) applyChanges(resp *metadatapb.ChangesResponse) {
	sel := c.sel
	last := sel.maxUID()
	added := 0
	for _, st := range resp.Changed {
		if st == nil {
			continue
		}
		if st.Uid > last {
			sel.uids = append(sel.uids, st.Uid)
			last = st.Uid
			added++
			continue
		}
		seq := sel.seqOf(st.Uid)
		if seq == 0 {
			continue
		}
		if m, ok := sel.reported[st.Uid]; ok && m >= st.Modseq {
			continue
		}
		if c.cs.condstore { // RFC 7162 §3.1, §3.2.4: MODSEQ in every FETCH
			c.writeStateFetch(seq, st, true)
			continue
		}
		c.enc.Raw("* ").Number(uint64(seq)).Raw(" FETCH (UID ").Number(uint64(st.Uid)).
			Raw(" FLAGS ").Raw(c.flagList(st)).Raw(")").CRLF()
	}
	if len(sel.pending) == 0 {
		sel.pendingFloor = sel.modseq
	}
	for _, uid := range resp.Expunged {
		if sel.seqOf(uid) == 0 {
			continue
		}
		if i, ok := slices.BinarySearch(sel.pending, uid); !ok {
			sel.pending = slices.Insert(sel.pending, i, uid)
		}
	}
	if resp.HighestModseq > sel.modseq {
		sel.modseq = resp.HighestModseq
	}
	clear(sel.reported)
	for _, uid := range resp.RecentUids {
		sel.recent[uid] = struct{}{}
	}
	if added > 0 {
		c.enc.Raw("* ").Number(uint64(len(sel.uids))).Raw(" EXISTS").CRLF()
		if !c.rev2 { // RFC 3501 §7.3.2; IMAP4rev2 has no \Recent
			c.enc.Raw("* ").Number(uint64(len(sel.recent))).Raw(" RECENT").CRLF()
		}
	}
}
