package frontend

import (
	"slices"

	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 9051 §6.4.6 STORE, §6.4.9 UID STORE, RFC 7162 §3.1.3 UNCHANGEDSINCE.
func (c *conn) cmdStore(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.StoreArgs)
	if !ok {
		return bad("", "STORE expects a sequence set, an action and flags")
	}
	sel := c.sel
	if sel.readOnly {
		return no("READ-ONLY", "mailbox is read-only")
	}
	if a.HasUnchangedSince {
		c.enableCondstore() // RFC 7162 §3.1: a CONDSTORE enabling command
	}
	flags := deliver.CanonicalFlags(a.Flags) // RFC 3501 §2.3.2: \Recent cannot be stored
	uids, err := sel.resolve(a.Set)
	if err != nil {
		return err
	}
	if len(uids) == 0 {
		return nil
	}
	op := metadatapb.StoreOp_STORE_REPLACE
	switch a.Op {
	case wire.StoreAdd:
		op = metadatapb.StoreOp_STORE_ADD
	case wire.StoreRemove:
		op = metadatapb.StoreOp_STORE_REMOVE
	}
	resp, err := c.srv.cfg.Metadata.Store(c.ctx, &metadatapb.StoreRequest{
		User: c.user, MailboxId: sel.id, Uids: sel.uidSet(uids), Op: op, Flags: flags,
		UnchangedSince: a.UnchangedSince, HasUnchangedSince: a.HasUnchangedSince,
	})
	if err != nil {
		return rpcErr(err)
	}
	failed := make(map[uint32]bool, len(resp.Modified))
	for _, u := range resp.Modified {
		failed[u] = true
	}
	var modified []uint32 // sequence numbers, or UIDs for UID STORE
	for _, st := range resp.Messages {
		seq := sel.seqOf(st.Uid)
		if seq == 0 {
			continue
		}
		sel.reported[st.Uid] = st.Modseq
		if failed[st.Uid] {
			if cmd.UID {
				modified = append(modified, st.Uid)
			} else {
				modified = append(modified, seq)
			}
		}
		if c.cs.condstore {
			// RFC 7162 §3.1.3: a FETCH with MODSEQ even for .SILENT; the
			// messages that failed UNCHANGEDSINCE carry their current
			// FLAGS so that the client need not poll (Example 10).
			c.writeStateFetch(seq, st, !a.Silent || failed[st.Uid])
			continue
		}
		if a.Silent {
			continue
		}
		c.enc.Raw("* ").Number(uint64(seq)).Raw(" FETCH (")
		if cmd.UID {
			c.enc.Raw("UID ").Number(uint64(st.Uid)).SP()
		}
		c.enc.Raw("FLAGS ").Raw(c.flagList(st)).Raw(")").CRLF()
	}
	if len(modified) > 0 {
		// RFC 7162 §3.1.3: the tagged OK names every message that failed.
		slices.Sort(modified)
		return okCode("MODIFIED "+formatUIDs(modified), "conditional STORE failed for some messages")
	}
	return nil
}
