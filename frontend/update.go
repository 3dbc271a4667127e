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
	return c.sync(syncOpts{allowExpunge: allowExpunge, force: force, flags: true})
}

// syncOpts say what a sync may tell the client.
type syncOpts struct {
	allowExpunge, force bool
	// flags: report flag changes; without, they wait in sel.held for the
	// next sync that may (NOTIFY without FlagChange, notify_push.go).
	flags bool
}

func (c *conn) sync(o syncOpts) error {
	sel := c.sel
	if sel == nil {
		return nil
	}
	allowExpunge := o.allowExpunge
	if c.cs.holdVanished {
		allowExpunge, c.cs.holdVanished = false, false
	}
	if o.flags {
		c.writeHeldFlags()
	}
	dirty := c.sub != nil && c.sub.takeDirty()
	if o.force || dirty || sel.stale {
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
		if added := c.applyChanges(resp, o.flags); len(added) > 0 {
			if err := c.notifyNewFetch(added); err != nil { // RFC 5465 §5.2
				return err
			}
		}
	}
	if allowExpunge && len(sel.pending) > 0 {
		c.reportExpunged(slices.Clone(sel.pending)) // EXPUNGE or VANISHED
		sel.pending = sel.pending[:0]
	}
	return nil
}

// applyChanges folds a Changes answer into the view and writes FETCH and
// EXISTS responses; flag changes wait in sel.held unless flags. Expunges
// only become pending. It returns the UIDs of the new messages.
func (c *conn) applyChanges(resp *metadatapb.ChangesResponse, flags bool) []uint32 {
	sel := c.sel
	last := sel.maxUID()
	var added []uint32
	for _, st := range resp.Changed {
		if st == nil {
			continue
		}
		if st.Uid > last {
			sel.uids = append(sel.uids, st.Uid)
			last = st.Uid
			added = append(added, st.Uid)
			continue
		}
		seq := sel.seqOf(st.Uid)
		if seq == 0 {
			continue
		}
		if m, ok := sel.reported[st.Uid]; ok && m >= st.Modseq {
			continue
		}
		if !flags {
			if sel.held == nil {
				sel.held = make(map[uint32]*metadatapb.MessageState)
			}
			if len(sel.held) == 0 {
				sel.heldFloor = sel.modseq // not yet raised by resp
			}
			sel.held[st.Uid] = st
			continue
		}
		c.writeFlagChange(seq, st)
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
	if len(added) > 0 {
		c.enc.Raw("* ").Number(uint64(len(sel.uids))).Raw(" EXISTS").CRLF()
		if !c.rev2 { // RFC 3501 §7.3.2; IMAP4rev2 has no \Recent
			c.enc.Raw("* ").Number(uint64(len(sel.recent))).Raw(" RECENT").CRLF()
		}
	}
	return added
}

// writeFlagChange writes the FETCH that tells of another session's flag
// change: with CONDSTORE, UID and MODSEQ too (RFC 7162 §3.2.4).
func (c *conn) writeFlagChange(seq uint32, st *metadatapb.MessageState) {
	if c.cs.condstore {
		c.writeStateFetch(seq, st, true)
		return
	}
	c.enc.Raw("* ").Number(uint64(seq)).Raw(" FETCH (UID ").Number(uint64(st.Uid)).
		Raw(" FLAGS ").Raw(c.flagList(st)).Raw(")").CRLF()
}

// writeHeldFlags reports the flag changes a sync held back, in UID order,
// for messages still in the view.
func (c *conn) writeHeldFlags() {
	sel := c.sel
	if len(sel.held) == 0 {
		return
	}
	uids := make([]uint32, 0, len(sel.held))
	for u := range sel.held {
		uids = append(uids, u)
	}
	slices.Sort(uids)
	for _, u := range uids {
		if seq := sel.seqOf(u); seq != 0 {
			c.writeFlagChange(seq, sel.held[u])
		}
	}
	clear(sel.held)
}
