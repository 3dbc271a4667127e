package state

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

type metaPB = metadatapb.MessageMeta

// validBlobID reports whether id is a hex SHA-256 (64 lower-case hex
// digits). Blob ids end up in file paths and object names, so anything
// else is refused here.
func validBlobID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Append adds messages whose bodies are durable in the blob store, all in
// one batch (MULTIAPPEND, RFC 3502): UIDs from UIDNEXT in request order, one
// new MODSEQ for all. A zero internal or save date is set to now. Every new
// message is \Recent (RFC 9051 §2.3.2) until a session claims it. A
// message with skip_duplicate whose body is already in the mailbox is not
// added: its existing (lowest) UID is reported in its place. Each added
// message gets its RFC 8474 EMAILID and THREADID here (objectid.go).
func (s *Store) Append(req *metadatapb.AppendRequest, now int64) (*metadatapb.AppendResponse, error) {
	if len(req.GetMessages()) == 0 {
		return nil, fmt.Errorf("state: append of no message: %w", base.ErrInvalidArgument)
	}
	type prepared struct {
		state  schema.MsgState
		meta   *metaPB // object ids are assigned in the batch
		blobID string
		skip   bool // skip_duplicate
	}
	preps := make([]prepared, 0, len(req.Messages))
	for i, nm := range req.Messages {
		m := nm.GetMeta()
		if m == nil || !validBlobID(m.BlobId) {
			return nil, fmt.Errorf("state: message %d: missing meta or bad blob id: %w", i, base.ErrInvalidArgument)
		}
		fs, err := parseFlags(nm.Flags)
		if err != nil {
			return nil, err
		}
		m = proto.CloneOf(m)
		if m.InternalDate == 0 {
			m.InternalDate = now
		}
		if m.SaveDate == 0 {
			m.SaveDate = now
		}
		preps = append(preps, prepared{
			state: schema.MsgState{Size: m.Size, System: fs.system, Keywords: fs.keywords, HasDates: true, Dates: schema.MsgDates{
				Internal: m.InternalDate, InternalZone: m.InternalDateZone, Save: m.SaveDate,
				Sent: m.SentDate, SentZone: m.SentDateZone,
			}},
			meta:   m,
			blobID: m.BlobId,
			skip:   nm.SkipDuplicate,
		})
	}
	resp := &metadatapb.AppendResponse{}
	err := s.update(req.User, func(t *txn) error {
		mb, err := t.view().mailbox(req.MailboxId)
		if err != nil {
			return err
		}
		u, err := t.view().userRecord()
		if err != nil {
			return err
		}
		modseq := mb.HighestModSeq + 1
		resp.Uids = make([]uint32, 0, len(preps))
		resp.UidValidity = mb.UIDValidity
		added := 0
		var addedBytes int64
		for _, p := range preps {
			if p.skip {
				// The batch is indexed: an earlier message of this
				// request with the same body is found too.
				uid, dup, err := t.view().uidOfBlob(req.MailboxId, p.blobID)
				if err != nil {
					return err
				}
				if dup {
					resp.Uids = append(resp.Uids, uid)
					continue
				}
			}
			uid, err := allocUID(&mb)
			if err != nil {
				return err
			}
			p.state.ModSeq = modseq
			raw, err := t.withObjectIDs(&u, p.meta)
			if err != nil {
				return err
			}
			if err := t.writeMessage(req.MailboxId, uid, p.state, raw); err != nil {
				return err
			}
			count(&mb, uid, p.state, +1)
			resp.Uids = append(resp.Uids, uid)
			added++
			addedBytes += int64(p.state.Size)
		}
		if added == 0 { // only duplicates: nothing changes
			resp.Modseq = mb.HighestModSeq
			return nil
		}
		if err := t.charge(addedBytes, int64(added), true); err != nil {
			return err
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
