package frontend

import (
	"slices"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 9051 §6.4.4 SEARCH, ESEARCH return options (RFC 4731), SEARCHRES
// (RFC 5182).
func (c *conn) cmdSearch(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.SearchArgs)
	if !ok || a.Key == nil {
		return bad("", "SEARCH expects search criteria")
	}
	if err := c.searchCharsetAllowed(a.Charset); err != nil {
		return err // RFC 6855 §3 (utf8accept.go)
	}
	switch strings.ToUpper(a.Charset) {
	case "", "US-ASCII", "UTF-8":
	default:
		return no("BADCHARSET (US-ASCII UTF-8)", "unsupported charset")
	}
	ro, err := parseReturnOpts("SEARCH", a.Return, true)
	if err != nil {
		return err
	}
	retMin, retMax, retAll, retCount, save := ro.min, ro.max, ro.all, ro.count, ro.save
	// RFC 4731 §3.1: RETURN () means RETURN (ALL). IMAP4rev2 has no
	// SEARCH response: a plain SEARCH answers ESEARCH ALL (RFC 9051 §6.4.4).
	esearch := a.HasReturn || c.rev2
	if esearch && !retMin && !retMax && !retAll && !retCount && !save {
		retAll = true
	}
	sel := c.sel
	// RFC 7162 §3.1.5: MODSEQ is a CONDSTORE enabling command and the
	// answer carries the highest MODSEQ of the matches.
	withModseq := searchUsesModseq(a.Key)
	if withModseq {
		c.enableCondstore()
	}
	key, err := c.searchKey(a.Key)
	if err == nil {
		var resp *metadatapb.SearchResponse
		resp, err = c.srv.cfg.Metadata.Search(c.ctx, &metadatapb.SearchRequest{
			User: c.user, MailboxId: sel.id, Key: key, Now: time.Now().Unix(),
		})
		if err == nil {
			if withModseq {
				c.cs.searchModseq = max(resp.HighestModseq, 1)
			}
			return c.searchResults(cmd, esearch, resp.Uids, retMin, retMax, retAll, retCount, save)
		}
		err = rpcErr(err)
	}
	if save {
		sel.searchRes = nil // RFC 5182 §2.1: a failed SEARCH ... SAVE empties $
	}
	return err
}

// searchResults writes the SEARCH or ESEARCH response and saves $.
func (c *conn) searchResults(cmd *wire.Command, esearch bool, found []uint32, retMin, retMax, retAll, retCount, save bool) error {
	sel := c.sel
	// Only messages this session knows of (RFC 9051 §7.5.1: no new
	// sequence numbers without EXISTS).
	uids := make([]uint32, 0, len(found))
	for _, u := range found {
		if sel.seqOf(u) != 0 {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	modseq := c.cs.searchModseq // RFC 7162 §3.1.5, set by cmdSearch
	c.cs.searchModseq = 0
	if modseq != 0 && len(uids) > 0 && len(uids) < len(found) {
		m, err := c.highestModseqOf(uids)
		if err != nil {
			return err
		}
		modseq = m
	}
	if len(uids) == 0 {
		modseq = 0 // "omitted if no match" (§3.1.6)
	}
	nums := uids
	if !cmd.UID {
		nums = make([]uint32, len(uids))
		for i, u := range uids {
			nums[i] = sel.seqOf(u)
		}
	}

	if save {
		// RFC 5182 §2.4: with MIN and/or MAX only, save just those.
		switch {
		case (retMin || retMax) && !retAll && !retCount && len(uids) > 0:
			var s []uint32
			if retMin {
				s = append(s, uids[0])
			}
			if retMax && (!retMin || len(uids) > 1) {
				s = append(s, uids[len(uids)-1])
			}
			sel.searchRes = s
		default:
			sel.searchRes = slices.Clone(uids)
		}
	}

	if !esearch {
		c.enc.Raw("* SEARCH")
		for _, n := range nums {
			c.enc.SP().Number(uint64(n))
		}
		if modseq != 0 {
			c.enc.Raw(" (MODSEQ ").Number(modseq).Raw(")") // RFC 7162 §3.1.6
		}
		c.enc.CRLF()
		return nil
	}
	if save && !retMin && !retMax && !retAll && !retCount {
		return nil // RFC 5182 §2.1: SAVE alone returns no ESEARCH
	}
	c.writeESearch(cmd, nums, retMin, retMax, retAll, retCount, modseq)
	return nil
}

// returnOpts are the result options of SEARCH or SORT RETURN (RFC 4731
// §3.1, RFC 5267 §3.2; SAVE is RFC 5182's and SEARCH's only).
type returnOpts struct{ min, max, all, count, save bool }

func parseReturnOpts(command string, opts []string, allowSave bool) (returnOpts, error) {
	var r returnOpts
	for _, o := range opts {
		switch o {
		case "MIN":
			r.min = true
		case "MAX":
			r.max = true
		case "ALL":
			r.all = true
		case "COUNT":
			r.count = true
		case "SAVE":
			if allowSave {
				r.save = true
				continue
			}
			fallthrough
		default:
			return r, bad("", "unsupported "+command+" return option "+sanitizeName(o))
		}
	}
	return r, nil
}

// writeESearch writes the ESEARCH response of a SEARCH or SORT (RFC 4731
// §3.1, RFC 5267 §3.1): nums are in answer order, so MIN and MAX are its
// first and last and ALL keeps that order (ascending runs as ranges).
func (c *conn) writeESearch(cmd *wire.Command, nums []uint32, retMin, retMax, retAll, retCount bool, modseq uint64) {
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
	if modseq != 0 {
		c.enc.Raw(" MODSEQ ").Number(modseq) // RFC 7162 §3.1.10
	}
	c.enc.CRLF()
}

// searchKey translates the client's criteria into the metadata form: sets
// of sequence numbers, $ and \Recent become UID sets from the session view.
func (c *conn) searchKey(k *wire.SearchKey) (*metadatapb.SearchKey, error) {
	sel := c.sel
	kids := func() ([]*metadatapb.SearchKey, error) {
		out := make([]*metadatapb.SearchKey, 0, len(k.Children))
		for _, ch := range k.Children {
			t, err := c.searchKey(ch)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
	uidsKey := func(uids []uint32) *metadatapb.SearchKey {
		if len(uids) == 0 {
			// An empty set matches nothing: NOT ALL.
			return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Not{Not: &metadatapb.SearchKey{Key: &metadatapb.SearchKey_All{All: true}}}}
		}
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Uids{Uids: sel.uidSet(uids)}}
	}
	date := func(op metadatapb.DateOp) *metadatapb.DateMatch {
		return &metadatapb.DateMatch{Op: op, Year: int32(k.Date.Year()), Month: int32(k.Date.Month()), Day: int32(k.Date.Day())}
	}
	switch k.Op {
	case wire.SearchAll:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_All{All: true}}, nil
	case wire.SearchAnd:
		ks, err := kids()
		if err != nil {
			return nil, err
		}
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_And{And: &metadatapb.SearchKeys{Keys: ks}}}, nil
	case wire.SearchOr:
		ks, err := kids()
		if err != nil {
			return nil, err
		}
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Or{Or: &metadatapb.SearchKeys{Keys: ks}}}, nil
	case wire.SearchNot:
		ks, err := kids()
		if err != nil {
			return nil, err
		}
		if len(ks) != 1 {
			return nil, bad("", "NOT takes one search key")
		}
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Not{Not: ks[0]}}, nil
	case wire.SearchSeqSet, wire.SearchUIDSet:
		if k.Op == wire.SearchSeqSet {
			c.cs.holdVanished = c.cs.qresync // RFC 7162 §3.2.10.2 (update.go)
		}
		uids, err := sel.resolveSearch(k.Set)
		if err != nil {
			return nil, err
		}
		return uidsKey(uids), nil
	case wire.SearchSaved:
		return uidsKey(sel.savedInView()), nil
	case wire.SearchRecent:
		r := make([]uint32, 0, len(sel.recent))
		for u := range sel.recent {
			r = append(r, u)
		}
		slices.Sort(r)
		return uidsKey(r), nil
	case wire.SearchFlag:
		if strings.EqualFold(k.Flag, `\Recent`) {
			return c.searchKey(&wire.SearchKey{Op: wire.SearchRecent})
		}
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Flag{Flag: deliver.CanonicalFlag(k.Flag)}}, nil
	case wire.SearchHeader:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Header{Header: &metadatapb.HeaderMatch{Field: k.Field, Value: k.Value}}}, nil
	case wire.SearchBody:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Body{Body: k.Value}}, nil
	case wire.SearchText:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Text{Text: k.Value}}, nil
	case wire.SearchBefore:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_InternalDate{InternalDate: date(metadatapb.DateOp_DATE_BEFORE)}}, nil
	case wire.SearchOn:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_InternalDate{InternalDate: date(metadatapb.DateOp_DATE_ON)}}, nil
	case wire.SearchSince:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_InternalDate{InternalDate: date(metadatapb.DateOp_DATE_SINCE)}}, nil
	case wire.SearchSentBefore:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SentDate{SentDate: date(metadatapb.DateOp_DATE_BEFORE)}}, nil
	case wire.SearchSentOn:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SentDate{SentDate: date(metadatapb.DateOp_DATE_ON)}}, nil
	case wire.SearchSentSince:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SentDate{SentDate: date(metadatapb.DateOp_DATE_SINCE)}}, nil
	case wire.SearchSavedBefore:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SaveDate{SaveDate: date(metadatapb.DateOp_DATE_BEFORE)}}, nil
	case wire.SearchSavedOn:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SaveDate{SaveDate: date(metadatapb.DateOp_DATE_ON)}}, nil
	case wire.SearchSavedSince:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SaveDate{SaveDate: date(metadatapb.DateOp_DATE_SINCE)}}, nil
	case wire.SearchLarger:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Larger{Larger: k.Number}}, nil
	case wire.SearchSmaller:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Smaller{Smaller: k.Number}}, nil
	case wire.SearchModSeq:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_ModseqMin{ModseqMin: k.Number}}, nil
	case wire.SearchOlder:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_OlderSecs{OlderSecs: int64(k.Number)}}, nil
	case wire.SearchYounger:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_YoungerSecs{YoungerSecs: int64(k.Number)}}, nil
	case wire.SearchEmailID: // RFC 8474 §6
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_EmailId{EmailId: k.Value}}, nil
	case wire.SearchThreadID:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_ThreadId{ThreadId: k.Value}}, nil
	}
	return nil, bad("", "unsupported search key")
}
