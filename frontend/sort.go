package frontend

import (
	"slices"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// sortCriteria maps the wire sort-keys to the metadata ones (RFC 5256
// §3, RFC 5957 §4).
var sortCriteria = map[string]metadatapb.SortBy{
	"ARRIVAL": metadatapb.SortBy_SORT_ARRIVAL, "CC": metadatapb.SortBy_SORT_CC,
	"DATE": metadatapb.SortBy_SORT_DATE, "FROM": metadatapb.SortBy_SORT_FROM,
	"SIZE": metadatapb.SortBy_SORT_SIZE, "SUBJECT": metadatapb.SortBy_SORT_SUBJECT,
	"TO": metadatapb.SortBy_SORT_TO, "DISPLAYFROM": metadatapb.SortBy_SORT_DISPLAYFROM,
	"DISPLAYTO": metadatapb.SortBy_SORT_DISPLAYTO,
}

// RFC 5256 §3 SORT, UID SORT; RFC 5267 §3 ESORT return options.
func (c *conn) cmdSort(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.SortArgs)
	if !ok || a.Key == nil || len(a.Criteria) == 0 {
		return bad("", "SORT expects sort criteria, a charset and search criteria")
	}
	program := make([]*metadatapb.SortCriterion, len(a.Criteria))
	for i, cr := range a.Criteria {
		by, ok := sortCriteria[cr.Key]
		if !ok {
			return bad("", "unsupported sort criterion "+sanitizeName(cr.Key))
		}
		program[i] = &metadatapb.SortCriterion{By: by, Reverse: cr.Reverse}
	}
	ro, err := parseReturnOpts("SORT", a.Return, false)
	if err != nil {
		return err
	}
	retMin, retMax, retAll, retCount := ro.min, ro.max, ro.all, ro.count
	// RFC 5267 §3.3: RETURN () means RETURN (ALL).
	if a.HasReturn && !retMin && !retMax && !retAll && !retCount {
		retAll = true
	}
	if searchUsesModseq(a.Key) {
		c.enableCondstore() // RFC 7162 §3.1 (condstore.go)
	}
	key, err := c.sortKey(a.Charset, a.Key)
	if err != nil {
		return err
	}
	var uids []uint32
	if key != nil { // else an empty view: nothing to sort
		resp, err := c.srv.cfg.Metadata.Sort(c.ctx, &metadatapb.SortRequest{
			User: c.user, MailboxId: c.sel.id, Key: key, Now: time.Now().Unix(), Criteria: program,
		})
		if err != nil {
			return rpcErr(err)
		}
		// The key keeps to the view already; this guards the seqOf below.
		uids = slices.DeleteFunc(resp.Uids, func(u uint32) bool { return c.sel.seqOf(u) == 0 })
	}
	modseq, err := c.resultModseq(a.Key, uids) // RFC 7162 §3.1.9
	if err != nil {
		return err
	}
	nums := c.numbers(cmd, uids)
	if !a.HasReturn {
		c.enc.Raw("* SORT")
		for _, n := range nums {
			c.enc.SP().Number(uint64(n))
		}
		if modseq != 0 {
			c.enc.Raw(" (MODSEQ ").Number(modseq).Raw(")")
		}
		c.enc.CRLF()
		return nil
	}
	c.writeESearch(cmd, nums, retMin, retMax, retAll, retCount, modseq) // RFC 5267 §3.1
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

// sortKey checks the charset like SEARCH does (RFC 5256 §3: US-ASCII and
// UTF-8 MUST be implemented) and translates the criteria, restricted to
// the messages this session knows of (RFC 9051 §7.5.1: no new sequence
// numbers without EXISTS), which must not even take part in threading.
func (c *conn) sortKey(charset string, k *wire.SearchKey) (*metadatapb.SearchKey, error) {
	switch strings.ToUpper(charset) {
	case "US-ASCII", "UTF-8":
	default:
		return nil, no("BADCHARSET (US-ASCII UTF-8)", "unsupported charset")
	}
	key, err := c.searchKey(k)
	if err != nil {
		return nil, err
	}
	sel := c.sel
	if len(sel.uids) == 0 {
		return nil, nil
	}
	view := &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Uids{Uids: sel.uidSet(sel.uids)}}
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_And{And: &metadatapb.SearchKeys{Keys: []*metadatapb.SearchKey{view, key}}}}, nil
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
