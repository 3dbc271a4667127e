package frontend

import (
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// systemFlags are the flags every mailbox supports (RFC 9051 §2.3.2).
const systemFlags = `\Answered \Flagged \Deleted \Seen \Draft`

// RFC 9051 §6.3.2 SELECT, §6.3.3 EXAMINE; RFC 3501 §6.3.1 for the
// IMAP4rev1-only RECENT and UNSEEN responses.
func (c *conn) cmdSelect(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.SelectArgs)
	if !ok {
		return bad("", cmd.Name+" expects a mailbox name")
	}
	// RFC 7162 §3.2.5: QRESYNC only after ENABLE QRESYNC, refused before
	// anything else happens (the selected mailbox stays selected).
	if a.QResync != nil && !c.cs.qresync {
		return bad("", "QRESYNC parameter without ENABLE QRESYNC")
	}
	readOnly := cmd.Name == "EXAMINE"
	name, err := c.mailboxFromWire(a.Mailbox)
	if err != nil {
		return err
	}
	// A SELECT, even a failing one, deselects the current mailbox
	// (RFC 9051 §6.3.2), announced with [CLOSED] (RFC 9051 §7.1).
	if c.sel != nil {
		c.deselect()
		c.enc.StatusResponse("*", "OK", "CLOSED", "previous mailbox is now closed")
	}
	mb, err := c.srv.cfg.Metadata.GetMailbox(c.ctx, &metadatapb.GetMailboxRequest{User: c.user, Name: name})
	if err != nil {
		return rpcErr(err)
	}
	resp, err := c.srv.cfg.Metadata.Select(c.ctx, &metadatapb.SelectRequest{
		User: c.user, MailboxId: mb.Id, ClaimRecent: !readOnly,
	})
	if err != nil {
		return rpcErr(err)
	}
	if resp.Mailbox != nil {
		mb = resp.Mailbox
	}
	mboxCode, err := mailboxIDCode(mb) // objectid.go
	if err != nil {
		return err
	}
	sel := &selected{
		id:          mb.Id,
		name:        mb.Name,
		readOnly:    readOnly,
		uidValidity: mb.UidValidity,
		uids:        resp.Uids,
		recent:      make(map[uint32]struct{}, len(resp.RecentUids)),
		modseq:      mb.HighestModseq,
		reported:    make(map[uint32]uint64),
	}
	for _, u := range resp.RecentUids {
		sel.recent[u] = struct{}{}
	}
	c.sel = sel
	c.state = stateSelected
	if c.sub != nil {
		c.sub.mailbox.Store(sel.id)
		c.sub.takeDirty()
	}

	flags := systemFlags
	for _, k := range resp.Flags {
		if isKeyword(k) {
			flags += " " + k
		}
	}
	c.enc.Raw("* FLAGS (").Raw(flags).Raw(")").CRLF()
	c.enc.Raw("* ").Number(uint64(len(sel.uids))).Raw(" EXISTS").CRLF()
	if !c.rev2 {
		c.enc.Raw("* ").Number(uint64(len(sel.recent))).Raw(" RECENT").CRLF()
		if resp.FirstUnseenUid != 0 {
			if seq := sel.seqOf(resp.FirstUnseenUid); seq != 0 {
				c.enc.Raw("* OK [UNSEEN ").Number(uint64(seq)).Raw("] first unseen message").CRLF()
			}
		}
	}
	c.enc.Raw("* OK [UIDVALIDITY ").Number(uint64(mb.UidValidity)).Raw("] UIDs valid").CRLF()
	c.enc.Raw("* OK [UIDNEXT ").Number(uint64(mb.UidNext)).Raw("] predicted next UID").CRLF()
	// RFC 7162 §3.1.2.1: every mailbox has persistent mod-sequences, so
	// HIGHESTMODSEQ always (never NOMODSEQ); SELECT (CONDSTORE) is a
	// CONDSTORE enabling command (§3.1.8).
	c.enc.Raw("* OK [HIGHESTMODSEQ ").Number(mb.HighestModseq).Raw("] highest mod-sequence").CRLF()
	// RFC 8474 §4.2: MAILBOXID on every successful SELECT and EXAMINE.
	c.enc.StatusResponse("*", "OK", mboxCode, "mailbox id")
	if a.CondStore {
		c.cs.condstore = true
	}
	if readOnly {
		c.enc.Raw("* OK [PERMANENTFLAGS ()] read-only mailbox").CRLF()
	} else {
		c.enc.Raw("* OK [PERMANENTFLAGS (").Raw(flags).Raw(` \*)] flags permitted`).CRLF()
	}
	if c.rev2 {
		// RFC 9051 §6.3.2: a LIST response with the mailbox name.
		c.enc.Raw("* LIST () \"/\" ").AString(c.mailboxToWire(mb.Name)).CRLF()
	}
	if a.QResync != nil {
		if err := c.qresyncSelect(a.QResync); err != nil {
			return err
		}
	}
	if readOnly {
		return okCode("READ-ONLY", "EXAMINE completed")
	}
	return okCode("READ-WRITE", "SELECT completed")
}

// deselect leaves the selected state without expunging.
func (c *conn) deselect() {
	c.sel = nil
	if c.state == stateSelected {
		c.state = stateAuth
	}
	if c.sub != nil {
		c.sub.mailbox.Store(0)
	}
}

// RFC 9051 §6.4.1: the poll happens in run (forceSync).
func (c *conn) cmdCheck(cmd *wire.Command) error { return nil }

// RFC 9051 §6.4.2: silently expunge \Deleted when read-write, then deselect.
// RFC 7162 §3.2.8: with QRESYNC too, no VANISHED and no HIGHESTMODSEQ.
func (c *conn) cmdClose(cmd *wire.Command) error {
	sel := c.sel
	c.deselect()
	if !sel.readOnly {
		_, err := c.srv.cfg.Metadata.Expunge(c.ctx, &metadatapb.ExpungeRequest{User: c.user, MailboxId: sel.id})
		if err != nil {
			return rpcErr(err)
		}
	}
	return nil
}

// RFC 9051 §6.4.2 (UNSELECT, RFC 3691).
func (c *conn) cmdUnselect(cmd *wire.Command) error {
	c.deselect()
	return nil
}

// RFC 9051 §6.4.3 EXPUNGE, RFC 4315 §2.1 UID EXPUNGE.
func (c *conn) cmdExpunge(cmd *wire.Command) error {
	sel := c.sel
	if sel.readOnly {
		return no("READ-ONLY", "mailbox is read-only")
	}
	req := &metadatapb.ExpungeRequest{User: c.user, MailboxId: sel.id}
	if cmd.UID {
		a, ok := cmd.Args.(*wire.NumSetArgs)
		if !ok {
			return bad("", "UID EXPUNGE expects a UID set")
		}
		uids, err := sel.resolve(a.Set)
		if err != nil {
			return err
		}
		if len(uids) == 0 {
			return nil
		}
		req.Uids = sel.uidSet(uids)
	}
	resp, err := c.srv.cfg.Metadata.Expunge(c.ctx, req)
	if err != nil {
		return rpcErr(err)
	}
	c.writeExpunged(resp.Uids)
	return c.expungedOK(len(resp.Uids), "expunged") // RFC 7162 §3.2.7, §3.2.9
}

// writeExpunged removes UIDs from the view, one EXPUNGE response each
// (one VANISHED with QRESYNC, condstore.go).
func (c *conn) writeExpunged(uids []uint32) { c.reportExpunged(uids) }

// isKeyword reports whether f is a keyword rather than a system flag.
func isKeyword(f string) bool { return f != "" && f[0] != '\\' }
