package state

import (
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// StoreFlags changes the flags of the messages of a set (RFC 9051 §6.4.6).
// One MODSEQ is allocated for the messages whose flags actually change;
// the others keep theirs (RFC 7162 §3: setting a set flag or clearing a
// clear one SHOULD NOT change the mod-sequence). With has_unchanged_since, a message whose modseq
// is above unchanged_since is not changed and is reported in Modified
// (RFC 7162 §3.1.3; UNCHANGEDSINCE 0 therefore always fails). The response
// holds the state of every message of the set after the call. \Recent in
// the request is ignored: it is never stored.
func (s *Store) StoreFlags(req *metadatapb.StoreRequest) (*metadatapb.StoreResponse, error) {
	fs, err := parseFlags(req.Flags)
	if err != nil {
		return nil, err
	}
	ranges := normalize(req.Uids)
	resp := &metadatapb.StoreResponse{}
	err = s.update(req.User, func(t *txn) error {
		v := t.view()
		mb, err := v.mailbox(req.MailboxId)
		if err != nil {
			return err
		}
		msgs, err := v.collect(req.MailboxId, ranges, false)
		if err != nil {
			return err
		}
		modseq := mb.HighestModSeq + 1
		changed := false
		for _, m := range msgs {
			st := m.state
			if req.HasUnchangedSince && st.ModSeq > req.UnchangedSince {
				resp.Modified = append(resp.Modified, m.uid)
				resp.Messages = append(resp.Messages, statePB(m.uid, st))
				continue
			}
			sys, kws := applyStore(st, req.Op, fs)
			if sameFlags(sys, kws, st.System, st.Keywords) {
				resp.Messages = append(resp.Messages, statePB(m.uid, st))
				continue
			}
			if err := t.del(schema.ModSeqKey(t.shard, t.user, req.MailboxId, st.ModSeq, m.uid)); err != nil {
				return err
			}
			count(&mb, m.uid, st, -1)
			st.System, st.Keywords, st.ModSeq = sys, kws, modseq
			count(&mb, m.uid, st, +1)
			if err := t.writeMessage(req.MailboxId, m.uid, st, nil); err != nil {
				return err
			}
			changed = true
			resp.Messages = append(resp.Messages, statePB(m.uid, st))
		}
		if !changed {
			resp.Modseq = mb.HighestModSeq
			return nil
		}
		mb.HighestModSeq = modseq
		resp.Modseq = modseq
		t.publish(hub.Event{MailboxID: req.MailboxId, ModSeq: modseq})
		return t.putMailbox(req.MailboxId, &mb)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func statePB(uid uint32, st schema.MsgState) *metadatapb.MessageState {
	return &metadatapb.MessageState{Uid: uid, Modseq: st.ModSeq, Flags: flagList(st)}
}
