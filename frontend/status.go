package frontend

import (
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// statusItems are the STATUS data items postbus answers (RFC 9051 §6.3.11,
// RFC 8438 SIZE, RFC 7889 APPENDLIMIT, RFC 3501 RECENT, RFC 9208 §4.1.4
// DELETED-STORAGE, RFC 8474 §4.3 MAILBOXID).
var statusItems = map[string]bool{
	"MESSAGES": true, "UIDNEXT": true, "UIDVALIDITY": true, "UNSEEN": true,
	"DELETED": true, "SIZE": true, "RECENT": true, "APPENDLIMIT": true,
	"DELETED-STORAGE": true,
	"HIGHESTMODSEQ":   true, // RFC 7162 §3.1.7
	"MAILBOXID":       true, // RFC 8474 §4.3
}

func checkStatusItems(items []string) error {
	if len(items) == 0 {
		return bad("", "STATUS needs at least one data item")
	}
	for _, it := range items {
		if !statusItems[it] {
			return bad("", "unsupported STATUS item "+sanitizeName(it))
		}
	}
	return nil
}

// RFC 9051 §6.3.11. The counters come from the metadata node, never from
// the session's view (which may lag behind on purpose).
func (c *conn) cmdStatus(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.StatusArgs)
	if !ok {
		return bad("", "STATUS expects a mailbox and data items")
	}
	if err := checkStatusItems(a.Items); err != nil {
		return err
	}
	for _, it := range a.Items {
		if it == "HIGHESTMODSEQ" {
			c.enableCondstore() // RFC 7162 §3.1: a CONDSTORE enabling command
		}
	}
	name, err := c.mailboxFromWire(a.Mailbox)
	if err != nil {
		return err
	}
	mb, err := c.srv.cfg.Metadata.GetMailbox(c.ctx, &metadatapb.GetMailboxRequest{User: c.user, Name: name})
	if err != nil {
		return rpcErr(err)
	}
	return c.writeStatus(mb, a.Items)
}

// writeStatus writes "* STATUS name (item value ...)". Items that are not
// counters of the mailbox record are computed first (statusValues), so
// an error writes nothing.
func (c *conn) writeStatus(mb *metadatapb.Mailbox, items []string) error {
	vals, err := c.statusValues(mb, items) // quota.go
	if err != nil {
		return err
	}
	for _, it := range items {
		if it == "MAILBOXID" {
			if _, err := mailboxIDCode(mb); err != nil { // objectid.go
				return err
			}
		}
	}
	c.enc.Raw("* STATUS ").AString(c.mailboxToWire(mb.Name)).Raw(" (")
	for i, it := range items {
		if i > 0 {
			c.enc.SP()
		}
		c.enc.Raw(it).SP()
		switch it {
		case "MESSAGES":
			c.enc.Number(uint64(mb.Messages))
		case "UIDNEXT":
			c.enc.Number(uint64(mb.UidNext))
		case "UIDVALIDITY":
			c.enc.Number(uint64(mb.UidValidity))
		case "UNSEEN":
			c.enc.Number(uint64(mb.Unseen))
		case "DELETED":
			c.enc.Number(uint64(mb.Deleted))
		case "SIZE":
			c.enc.Number(mb.Size)
		case "RECENT":
			c.enc.Number(uint64(mb.Recent))
		case "HIGHESTMODSEQ":
			c.enc.Number(mb.HighestModseq)
		case "APPENDLIMIT":
			c.enc.Number(uint64(c.srv.cfg.Limits.MaxLiteral))
		case "MAILBOXID": // RFC 8474 §4.3: "MAILBOXID" SP "(" objectid ")"
			c.enc.Raw("(").Raw(mb.ObjectId).Raw(")")
		default:
			c.enc.Number(vals[it])
		}
	}
	c.enc.Raw(")").CRLF()
	return nil
}
