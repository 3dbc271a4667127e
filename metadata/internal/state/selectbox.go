package state

import (
	"sort"
	"strings"

	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Select returns a mailbox's state and every UID for a session's
// sequence-number view (RFC 9051 §6.3.2). With claimRecent it is a write:
// the messages with UID >= FirstRecentUID are \Recent for this session
// only, and FirstRecentUID moves to UIDNEXT durably (RFC 3501 §2.3.2), so
// no other session sees them as recent. The returned Mailbox.Recent is then
// the number this session claimed. Flags lists the keywords in use, sorted
// (the frontend adds the system flags to its FLAGS response).
func (s *Store) Select(req *metadatapb.SelectRequest) (*metadatapb.SelectResponse, error) {
	resp := &metadatapb.SelectResponse{}
	epoch := s.cache.epoch.Load() // before the view (stateCache)
	fill := func(v *view) (schema.MailboxRecord, error) {
		mb, err := v.mailbox(req.MailboxId)
		if err != nil {
			return mb, err
		}
		// SELECT reads every state: it fills the state cache for the
		// FETCH and SEARCH commands that follow.
		cached, err := s.cachedStates(v, req.MailboxId, stampOf(epoch, mb), true)
		if err != nil {
			return mb, err
		}
		box, err := v.mailboxPB(req.MailboxId)
		if err != nil {
			return mb, err
		}
		resp.Mailbox = box
		resp.Uids = make([]uint32, 0, mb.Messages)
		kw := map[string]string{}
		err = v.eachState(cached, req.MailboxId, allUIDs, func(uid uint32, st schema.MsgState) (bool, error) {
			resp.Uids = append(resp.Uids, uid)
			if resp.FirstUnseenUid == 0 && st.System&schema.FlagSeen == 0 {
				resp.FirstUnseenUid = uid
			}
			for _, k := range st.Keywords {
				if _, ok := kw[strings.ToLower(k)]; !ok {
					kw[strings.ToLower(k)] = k
				}
			}
			if req.ClaimRecent && uid >= mb.FirstRecentUID {
				resp.RecentUids = append(resp.RecentUids, uid)
			}
			return true, nil
		})
		for _, k := range kw {
			resp.Flags = append(resp.Flags, k)
		}
		sort.Strings(resp.Flags)
		return mb, err
	}
	if !req.ClaimRecent {
		err := s.read(req.User, func(v *view) error {
			_, err := fill(v)
			return err
		})
		if err != nil {
			return nil, err
		}
		return resp, nil
	}
	err := s.update(req.User, func(t *txn) error {
		mb, err := fill(t.view())
		if err != nil {
			return err
		}
		resp.Mailbox.Recent = uint32(len(resp.RecentUids))
		if mb.FirstRecentUID == mb.UIDNext && mb.Recent == 0 {
			return nil // nothing to claim: no write
		}
		mb.FirstRecentUID = mb.UIDNext
		mb.Recent = 0
		return t.putMailbox(req.MailboxId, &mb)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
