package state

import (
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Expunge removes the messages of the set (the whole mailbox when the set
// is empty) that have \Deleted, or all of them with ignore_deleted_flag
// (RFC 9051 §6.4.3, UID EXPUNGE RFC 4315 §2.1). The expunged UIDs are
// logged at one new MODSEQ so that other sessions learn of them from
// Changes.
func (s *Store) Expunge(req *metadatapb.ExpungeRequest) (*metadatapb.ExpungeResponse, error) {
	ranges := allUIDs
	if len(req.GetUids().GetRanges()) > 0 {
		ranges = normalize(req.Uids)
	}
	resp := &metadatapb.ExpungeResponse{}
	err := s.update(req.User, func(t *txn) error {
		mb, err := t.view().mailbox(req.MailboxId)
		if err != nil {
			return err
		}
		uids, err := t.expunge(req.MailboxId, &mb, ranges, !req.IgnoreDeletedFlag)
		if err != nil {
			return err
		}
		resp.Uids = uids
		resp.Modseq = mb.HighestModSeq
		if len(uids) == 0 {
			return nil
		}
		return t.putMailbox(req.MailboxId, &mb)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// expunge removes the messages of ranges (only those with \Deleted when
// onlyDeleted) at one new modseq, updating mb, which the caller writes when
// anything was expunged.
func (t *txn) expunge(mbox uint64, mb *schema.MailboxRecord, ranges []uidRange, onlyDeleted bool) ([]uint32, error) {
	msgs, err := t.view().collect(mbox, ranges, false)
	if err != nil {
		return nil, err
	}
	modseq := mb.HighestModSeq + 1
	var uids []uint32
	var freed int64
	for _, m := range msgs {
		if onlyDeleted && m.state.System&schema.FlagDeleted == 0 {
			continue
		}
		if err := t.removeMessage(mbox, m.uid, m.state, modseq); err != nil {
			return nil, err
		}
		count(mb, m.uid, m.state, -1)
		uids = append(uids, m.uid)
		freed += int64(m.state.Size)
	}
	if err := t.charge(-freed, -int64(len(uids)), false); err != nil {
		return nil, err
	}
	if len(uids) > 0 {
		mb.HighestModSeq = modseq
		t.publish(hub.Event{MailboxID: mbox, ModSeq: modseq})
	}
	return uids, nil
}

// Copy copies the messages of the set to another mailbox (RFC 9051 §6.4.7):
// destination UIDs in ascending source order, same blob, same flags, a new
// save date (RFC 8514), one MODSEQ in the destination. With move, the
// sources are expunged in the same batch (RFC 6851 §3.3: atomic MOVE).
// Response.Modseq is the destination's new MODSEQ.
func (s *Store) Copy(req *metadatapb.CopyRequest, now int64) (*metadatapb.CopyResponse, error) {
	ranges := normalize(req.Uids)
	resp := &metadatapb.CopyResponse{}
	err := s.update(req.User, func(t *txn) error {
		v := t.view()
		src, err := v.mailbox(req.MailboxId)
		if err != nil {
			return err
		}
		dst, err := v.mailbox(req.DestMailboxId)
		if err != nil {
			return err
		}
		// A copy into the same mailbox must update one record, not two.
		dstp := &dst
		if req.DestMailboxId == req.MailboxId {
			dstp = &src
		}
		msgs, err := v.collect(req.MailboxId, ranges, true)
		if err != nil {
			return err
		}
		resp.DestUidValidity = dstp.UIDValidity
		resp.Modseq = dstp.HighestModSeq
		if len(msgs) == 0 {
			return nil
		}
		modseq := dstp.HighestModSeq + 1
		var copied int64
		for _, m := range msgs {
			uid, err := allocUID(dstp)
			if err != nil {
				return err
			}
			meta, err := withSaveDate(m.meta, now)
			if err != nil {
				return err
			}
			st := m.state
			st.ModSeq = modseq
			// The copy's dates are its meta's, with the new save date.
			if st.Dates, err = schema.MetaDates(meta); err != nil {
				return err
			}
			st.HasDates = true
			if err := t.writeMessage(req.DestMailboxId, uid, st, meta); err != nil {
				return err
			}
			count(dstp, uid, st, +1)
			copied += int64(st.Size)
			resp.SourceUids = append(resp.SourceUids, m.uid)
			resp.DestUids = append(resp.DestUids, uid)
		}
		// A MOVE adds here and releases the same in expunge below: usage
		// is unchanged, so it is never refused (RFC 9208 §4.1 counts the
		// user's mailboxes together).
		if err := t.charge(copied, int64(len(msgs)), !req.Move); err != nil {
			return err
		}
		dstp.HighestModSeq = modseq
		resp.Modseq = modseq
		t.publish(hub.Event{MailboxID: req.DestMailboxId, ModSeq: modseq})
		if req.Move {
			moved := make([]uidRange, len(resp.SourceUids))
			for i, u := range resp.SourceUids {
				moved[i] = uidRange{u, u}
			}
			if resp.Expunged, err = t.expunge(req.MailboxId, &src, moved, false); err != nil {
				return err
			}
		}
		if err := t.putMailbox(req.MailboxId, &src); err != nil {
			return err
		}
		if dstp == &dst {
			return t.putMailbox(req.DestMailboxId, &dst)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
