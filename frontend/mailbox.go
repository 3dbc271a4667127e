package frontend

import (
	"strings"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// specialUses are the attributes CREATE ... USE accepts (RFC 6154 §2).
var specialUses = map[string]string{
	`\ALL`: `\All`, `\ARCHIVE`: `\Archive`, `\DRAFTS`: `\Drafts`, `\FLAGGED`: `\Flagged`,
	`\JUNK`: `\Junk`, `\SENT`: `\Sent`, `\TRASH`: `\Trash`,
}

// RFC 9051 §6.3.4, RFC 6154 §3 (USE).
func (c *conn) cmdCreate(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.CreateArgs)
	if !ok {
		return bad("", "CREATE expects a mailbox name")
	}
	name, err := c.mailboxFromWire(a.Mailbox)
	if err != nil {
		return err
	}
	if err := creatable(name); err != nil {
		return err
	}
	var use string
	switch len(a.SpecialUse) {
	case 0:
	case 1:
		u, ok := specialUses[strings.ToUpper(a.SpecialUse[0])]
		if !ok {
			return no("USEATTR", "unsupported special-use attribute "+sanitizeName(a.SpecialUse[0]))
		}
		use = u
	default:
		return no("USEATTR", "only one special-use attribute per mailbox is supported")
	}
	if name == "INBOX" {
		return no("ALREADYEXISTS", "INBOX always exists")
	}
	mb, err := c.srv.cfg.Metadata.CreateMailbox(c.ctx, &metadatapb.CreateMailboxRequest{User: c.user, Name: name, SpecialUse: use})
	if err != nil {
		return rpcErr(err)
	}
	// RFC 8474 §4.1: MAILBOXID in the tagged OK of every successful CREATE.
	code, err := mailboxIDCode(mb) // objectid.go
	if err != nil {
		return err
	}
	return okCode(code, "CREATE completed")
}

// RFC 9051 §6.3.5.
func (c *conn) cmdDelete(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.MailboxArgs)
	if !ok {
		return bad("", "DELETE expects a mailbox name")
	}
	name, err := c.mailboxFromWire(a.Mailbox)
	if err != nil {
		return err
	}
	if name == "INBOX" {
		return no("CANNOT", "INBOX cannot be deleted")
	}
	if _, err := c.srv.cfg.Metadata.DeleteMailbox(c.ctx, &metadatapb.DeleteMailboxRequest{User: c.user, Name: name}); err != nil {
		return rpcErr(err)
	}
	if c.sel != nil && c.sel.name == name {
		// RFC 9051 §6.3.5 leaves this open; the view is meaningless now.
		c.deselect()
		c.enc.StatusResponse("*", "OK", "CLOSED", "selected mailbox deleted")
	}
	return nil
}

// RFC 9051 §6.3.6.
func (c *conn) cmdRename(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.RenameArgs)
	if !ok {
		return bad("", "RENAME expects two mailbox names")
	}
	from, err := c.mailboxFromWire(a.From)
	if err != nil {
		return err
	}
	to, err := c.mailboxFromWire(a.To)
	if err != nil {
		return err
	}
	if to == "INBOX" {
		return no("ALREADYEXISTS", "INBOX always exists")
	}
	if err := creatable(to); err != nil {
		return err
	}
	_, err = c.srv.cfg.Metadata.RenameMailbox(c.ctx, &metadatapb.RenameMailboxRequest{User: c.user, From: from, To: to})
	if err != nil {
		return rpcErr(err)
	}
	// The selected mailbox keeps its id across a rename; follow its name.
	if c.sel != nil && from != "INBOX" {
		if c.sel.name == from {
			c.sel.name = to
		} else if strings.HasPrefix(c.sel.name, from+delim) {
			c.sel.name = to + c.sel.name[len(from):]
		}
	}
	return nil
}

// RFC 9051 §6.3.7, §6.3.8.
func (c *conn) cmdSubscribe(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.MailboxArgs)
	if !ok {
		return bad("", cmd.Name+" expects a mailbox name")
	}
	name, err := c.mailboxFromWire(a.Mailbox)
	if err != nil {
		return err
	}
	_, err = c.srv.cfg.Metadata.SetSubscribed(c.ctx, &metadatapb.SetSubscribedRequest{
		User: c.user, Name: name, Subscribed: cmd.Name == "SUBSCRIBE",
	})
	return rpcErr(err)
}

// RFC 9051 §6.3.10: one personal namespace, no others.
func (c *conn) cmdNamespace(cmd *wire.Command) error {
	c.enc.Raw(`* NAMESPACE (("" "/")) NIL NIL`).CRLF()
	return nil
}

// creatable refuses names a LIST pattern could not single out: empty ones
// and ones with the wildcards "*" and "%" (RFC 9051 §6.3.9 lets a server
// refuse them at CREATE).
func creatable(name string) error {
	if name == "" || name == delim || strings.ContainsAny(name, "*%") {
		return no("CANNOT", "invalid mailbox name")
	}
	return nil
}
