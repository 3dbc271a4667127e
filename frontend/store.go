package frontend

import (
	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 9051 §6.4.6 STORE, §6.4.9 UID STORE.
func (c *conn) cmdStore(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.StoreArgs)
	if !ok {
		return bad("", "STORE expects a sequence set, an action and flags")
	}
	if a.HasUnchangedSince {
		return bad("", "UNCHANGEDSINCE needs CONDSTORE, which is not supported")
	}
	sel := c.sel
	if sel.readOnly {
		return no("READ-ONLY", "mailbox is read-only")
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
	})
	if err != nil {
		return rpcErr(err)
	}
	for _, st := range resp.Messages {
		seq := sel.seqOf(st.Uid)
		if seq == 0 {
			continue
		}
		sel.reported[st.Uid] = st.Modseq
		if a.Silent {
			continue
		}
		c.enc.Raw("* ").Number(uint64(seq)).Raw(" FETCH (")
		if cmd.UID {
			c.enc.Raw("UID ").Number(uint64(st.Uid)).SP()
		}
		c.enc.Raw("FLAGS ").Raw(c.flagList(st)).Raw(")").CRLF()
	}
	return nil
}
