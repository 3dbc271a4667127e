package frontend

import (
	"context"
	"io"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// QUOTA (RFC 9208). Every user has exactly one quota root, named "",
// covering all of the user's mailboxes, with two resources: STORAGE (KiB)
// and MESSAGE. Limits are set by the administrator (`postbus user quota`,
// Metadata.SetQuota); usage is kept by the metadata node in the batch of
// every change, which also refuses growth past a limit (ErrOverQuota →
// NO [OVERQUOTA], RFC 9208 §4.3.1).

// quotaRoot is the name of the user's only quota root.
const quotaRoot = ""

// quotaCaps are the QUOTA capabilities (RFC 9208 §1, §5.1, §5.2). No
// QUOTASET: SETQUOTA is not available to users.
var quotaCaps = []string{"QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE"}

// cmdGetQuotaRoot answers the root of any mailbox name, existing or not
// (RFC 9208 §4.1.2: "doesn't have to reference an existing mailbox").
func (c *conn) cmdGetQuotaRoot(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.MailboxArgs)
	if !ok {
		return bad("", "GETQUOTAROOT expects a mailbox")
	}
	name, err := c.mailboxFromWire(a.Mailbox)
	if err != nil {
		return err
	}
	q, err := c.srv.cfg.Metadata.GetQuota(c.ctx, &metadatapb.GetQuotaRequest{User: c.user})
	if err != nil {
		return rpcErr(err)
	}
	c.enc.Raw("* QUOTAROOT ").AString(c.mailboxToWire(name)).SP().String(quotaRoot).CRLF()
	c.writeQuota(q)
	return nil
}

// cmdGetQuota answers the user's one root (RFC 9208 §4.1.1); any other
// name is not a quota root.
func (c *conn) cmdGetQuota(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.QuotaRootArgs)
	if !ok {
		return bad("", "GETQUOTA expects a quota root")
	}
	if a.Root != quotaRoot {
		return no("NONEXISTENT", "no such quota root")
	}
	q, err := c.srv.cfg.Metadata.GetQuota(c.ctx, &metadatapb.GetQuotaRequest{User: c.user})
	if err != nil {
		return rpcErr(err)
	}
	c.writeQuota(q)
	return nil
}

// cmdSetQuota refuses: limits are the administrator's (RFC 9208 §4.1.3
// "NO - setquota error: can't set that data"; QUOTASET is not advertised).
func (c *conn) cmdSetQuota(cmd *wire.Command) error {
	return no("NOPERM", "quota limits are set by the administrator")
}

// writeQuota writes `* QUOTA "" (resources)`, listing only the limited
// resources (RFC 9208 §4.2.1: resources not named are not limited).
// STORAGE usage is in units of 1024 octets, rounded up (§5.1).
func (c *conn) writeQuota(q *metadatapb.Quota) {
	c.enc.Raw("* QUOTA ").String(quotaRoot).Raw(" (")
	sep := ""
	if q.StorageLimitKib > 0 {
		c.enc.Raw("STORAGE ").Number((q.StorageUsedBytes + 1023) / 1024).SP().Number(q.StorageLimitKib)
		sep = " "
	}
	if q.MessageLimit > 0 {
		c.enc.Raw(sep + "MESSAGE ").Number(q.MessagesUsed).SP().Number(q.MessageLimit)
	}
	c.enc.Raw(")").CRLF()
}

// deletedStorage is STATUS DELETED-STORAGE (RFC 9208 §4.1.4): what an
// EXPUNGE would reclaim, as the sum of the RFC822.SIZE of the messages
// with \Deleted (which the RFC allows, and which is exactly what the
// STORAGE usage would lose). It costs a search and a read of the deleted
// messages' meta, so it is only computed when asked for.
func (c *conn) deletedStorage(mb *metadatapb.Mailbox) (uint64, error) {
	if mb.Deleted == 0 {
		return 0, nil
	}
	res, err := c.srv.cfg.Metadata.Search(c.ctx, &metadatapb.SearchRequest{
		User: c.user, MailboxId: mb.Id, Key: &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Flag{Flag: `\Deleted`}},
	})
	if err != nil || len(res.Uids) == 0 {
		return 0, rpcErr(err)
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	stream, err := c.srv.cfg.Metadata.Fetch(ctx, &metadatapb.FetchRequest{
		User: c.user, MailboxId: mb.Id, Uids: metadatapb.NewUidSet(res.Uids...), WantMeta: true,
	})
	if err != nil {
		return 0, rpcErr(err)
	}
	var sum uint64
	for {
		batch, err := stream.Recv()
		if err == io.EOF {
			return sum, nil
		}
		if err != nil {
			return 0, rpcErr(err)
		}
		for _, rec := range batch.Messages {
			sum += rec.GetMeta().GetSize()
		}
	}
}

// statusValues computes the STATUS items that are not mailbox counters.
func (c *conn) statusValues(mb *metadatapb.Mailbox, items []string) (map[string]uint64, error) {
	for _, it := range items {
		if it == "DELETED-STORAGE" {
			n, err := c.deletedStorage(mb)
			return map[string]uint64{"DELETED-STORAGE": n}, err
		}
	}
	return nil, nil
}
