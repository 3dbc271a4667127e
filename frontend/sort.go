package frontend

import (
	"cmp"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend/internal/threading"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// sortCriteria maps the wire sort-keys to the threading criteria (RFC 5256
// §3, RFC 5957 §4).
var sortCriteria = map[string]threading.Criterion{
	"ARRIVAL": threading.Arrival, "CC": threading.Cc, "DATE": threading.Date,
	"FROM": threading.From, "SIZE": threading.Size, "SUBJECT": threading.Subject,
	"TO": threading.To, "DISPLAYFROM": threading.DisplayFrom, "DISPLAYTO": threading.DisplayTo,
}

// RFC 5256 §3 SORT, UID SORT; RFC 5267 §3 ESORT return options.
func (c *conn) cmdSort(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.SortArgs)
	if !ok || a.Key == nil || len(a.Criteria) == 0 {
		return bad("", "SORT expects sort criteria, a charset and search criteria")
	}
	program := make([]threading.Key, len(a.Criteria))
	for i, cr := range a.Criteria {
		by, ok := sortCriteria[cr.Key]
		if !ok {
			return bad("", "unsupported sort criterion "+sanitizeName(cr.Key))
		}
		program[i] = threading.Key{By: by, Reverse: cr.Reverse}
	}
	var retMin, retMax, retAll, retCount bool
	for _, r := range a.Return {
		switch r {
		case "MIN":
			retMin = true
		case "MAX":
			retMax = true
		case "ALL":
			retAll = true
		case "COUNT":
			retCount = true
		default:
			return bad("", "unsupported SORT return option "+sanitizeName(r))
		}
	}
	// RFC 5267 §3.3: RETURN () means RETURN (ALL).
	if a.HasReturn && !retMin && !retMax && !retAll && !retCount {
		retAll = true
	}
	msgs, err := c.sortInput(a.Charset, a.Key)
	if err != nil {
		return err
	}
	uids, err := threading.Sort(msgs, program)
	if err != nil {
		return bad("", "unsupported sort criterion")
	}
	nums := c.numbers(cmd, uids)
	if !a.HasReturn {
		c.enc.Raw("* SORT")
		for _, n := range nums {
			c.enc.SP().Number(uint64(n))
		}
		c.enc.CRLF()
		return nil
	}
	// RFC 5267 §3.1: an ESEARCH response; MIN and MAX are the first and
	// last in sort order, ALL keeps the order (ascending runs as ranges).
	c.enc.Raw(`* ESEARCH (TAG `).String(cmd.Tag).Raw(")")
	if cmd.UID {
		c.enc.Raw(" UID")
	}
	if len(nums) > 0 {
		if retMin {
			c.enc.Raw(" MIN ").Number(uint64(nums[0]))
		}
		if retMax {
			c.enc.Raw(" MAX ").Number(uint64(nums[len(nums)-1]))
		}
		if retAll {
			c.enc.Raw(" ALL ").Raw(formatUIDs(nums))
		}
	}
	if retCount {
		c.enc.Raw(" COUNT ").Number(uint64(len(nums)))
	}
	c.enc.CRLF()
	return nil
}

// numbers maps UIDs to what the command answers with: UIDs for UID SORT
// and UID THREAD, sequence numbers otherwise (every UID is in the view).
func (c *conn) numbers(cmd *wire.Command, uids []uint32) []uint32 {
	if cmd.UID {
		return uids
	}
	out := make([]uint32, len(uids))
	for i, u := range uids {
		out[i] = c.sel.seqOf(u)
	}
	return out
}

// sortInput searches the selected mailbox like SEARCH and returns what
// SORT and THREAD need of each match in this session's view, in mailbox
// order. The charset rule is SEARCH's (RFC 5256 §3: US-ASCII and UTF-8
// MUST be implemented).
func (c *conn) sortInput(charset string, k *wire.SearchKey) ([]threading.Msg, error) {
	switch strings.ToUpper(charset) {
	case "US-ASCII", "UTF-8":
	default:
		return nil, no("BADCHARSET (US-ASCII UTF-8)", "unsupported charset")
	}
	sel := c.sel
	key, err := c.searchKey(k)
	if err != nil {
		return nil, err
	}
	resp, err := c.srv.cfg.Metadata.Search(c.ctx, &metadatapb.SearchRequest{
		User: c.user, MailboxId: sel.id, Key: key, Now: time.Now().Unix(),
	})
	if err != nil {
		return nil, rpcErr(err)
	}
	// Only messages this session knows of (RFC 9051 §7.5.1).
	uids := make([]uint32, 0, len(resp.Uids))
	for _, u := range resp.Uids {
		if sel.seqOf(u) != 0 {
			uids = append(uids, u)
		}
	}
	if len(uids) == 0 {
		return nil, nil
	}
	slices.Sort(uids)
	uids = slices.Compact(uids)

	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	stream, err := c.srv.cfg.Metadata.Fetch(ctx, &metadatapb.FetchRequest{
		User: c.user, MailboxId: sel.id, Uids: sel.uidSet(uids), WantMeta: true,
	})
	if err != nil {
		return nil, rpcErr(err)
	}
	msgs := make([]threading.Msg, 0, len(uids))
	for {
		batch, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, rpcErr(err)
		}
		for _, rec := range batch.Messages {
			if rec.State == nil || sel.seqOf(rec.State.Uid) == 0 {
				continue
			}
			m := rec.Meta
			if m == nil {
				return nil, errors.New("frontend: metadata returned a record without meta")
			}
			// Keep only the small fields: the batch (envelope, header,
			// body structure) is garbage once this loop moves on.
			msgs = append(msgs, threading.Msg{
				UID: rec.State.Uid, Subject: m.Subject, From: m.From, To: m.To, Cc: m.Cc,
				SentDate: m.SentDate, InternalDate: m.InternalDate, Size: m.Size,
				MessageID: m.MessageId, InReplyTo: m.InReplyTo, References: m.References,
			})
		}
	}
	// A message expunged between Search and Fetch is simply absent.
	slices.SortFunc(msgs, func(a, b threading.Msg) int { return cmp.Compare(a.UID, b.UID) })
	return msgs, nil
}

// SORT and THREAD join the dispatch table here, as QUOTA's commands do in
// quota.go: conn.go's init, which creates the table, runs first (file name
// order). Sequence numbers in the answers make them seqBound.
func init() {
	commands["SORT"] = command{states: selectedOnly, fn: (*conn).cmdSort, seqBound: true}
	commands["THREAD"] = command{states: selectedOnly, fn: (*conn).cmdThread, seqBound: true}
}

// sortCaps are advertised once SORT and THREAD work (RFC 5256 §1, RFC 5957
// §1, RFC 5267 §3.1).
var sortCaps = []string{"SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "ESORT"}
