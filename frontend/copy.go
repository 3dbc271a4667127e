package frontend

import (
	"errors"
	"strconv"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 9051 §6.4.7 COPY, §6.4.8 MOVE (RFC 6851), COPYUID (RFC 4315 §3).
func (c *conn) cmdCopy(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.CopyArgs)
	if !ok {
		return bad("", cmd.Name+" expects a sequence set and a mailbox")
	}
	move := cmd.Name == "MOVE"
	sel := c.sel
	if move && sel.readOnly {
		return no("READ-ONLY", "mailbox is read-only")
	}
	name, err := c.mailboxFromWire(a.Mailbox)
	if err != nil {
		return err
	}
	uids, err := sel.resolve(a.Set)
	if err != nil {
		return err
	}
	dest, err := c.srv.cfg.Metadata.GetMailbox(c.ctx, &metadatapb.GetMailboxRequest{User: c.user, Name: name})
	if err != nil {
		if errors.Is(rpcErr(err), base.ErrNoSuchMailbox) {
			return no("TRYCREATE", "destination mailbox does not exist")
		}
		return rpcErr(err)
	}
	if len(uids) == 0 {
		return nil
	}
	resp, err := c.srv.cfg.Metadata.Copy(c.ctx, &metadatapb.CopyRequest{
		User: c.user, MailboxId: sel.id, Uids: sel.uidSet(uids), DestMailboxId: dest.Id, Move: move,
	})
	if err != nil {
		if errors.Is(rpcErr(err), base.ErrNoSuchMailbox) {
			return no("TRYCREATE", "destination mailbox does not exist")
		}
		return rpcErr(err)
	}
	if dest.Id == sel.id && c.sub != nil {
		c.sub.markDirty() // copied into itself: announce the new messages
	}
	c.noteOwnNew(dest.Id, resp.DestUids) // RFC 5465 §5.2 (notify_push.go)
	code := ""
	if len(resp.SourceUids) > 0 {
		code = "COPYUID " + strconv.FormatUint(uint64(resp.DestUidValidity), 10) + " " +
			formatUIDs(resp.SourceUids) + " " + formatUIDs(resp.DestUids)
	}
	if !move {
		if code != "" {
			return okCode(code, "COPY completed")
		}
		return nil
	}
	// RFC 6851 §4.3: COPYUID in an untagged OK before the EXPUNGEs.
	if code != "" {
		c.enc.StatusResponse("*", "OK", code, "moved")
	}
	c.writeExpunged(resp.Expunged)
	return c.expungedOK(len(resp.Expunged), "MOVE completed")
}
