package wire

import (
	"github.com/emersion/go-imap/v2"
)

// This file parses sequence sets (RFC 9051 §9 sequence-set, RFC 5182 "$").

// seqSet reads a sequence-set. With uid it returns an imap.UIDSet, else an
// imap.SeqSet. "$" (the saved search result, RFC 5182 §2) is returned as
// imap.SearchRes() in both cases: callers test imap.IsSearchRes first.
// Ranges may be written in either order ("5:2" is "2:5"); "*" is stored as
// 0, go-imap's encoding.
func (d *Decoder) seqSet(uid bool) (imap.NumSet, error) {
	if d.maybe('$') {
		return imap.SearchRes(), nil
	}
	var set imap.SeqSet
	for {
		start, err := d.seqNumber()
		if err != nil {
			return nil, err
		}
		stop := start
		if d.maybe(':') {
			if stop, err = d.seqNumber(); err != nil {
				return nil, err
			}
		}
		if start == stop {
			set.AddNum(start)
		} else {
			set.AddRange(start, stop)
		}
		if !d.maybe(',') {
			break
		}
	}
	if uid {
		uids := make(imap.UIDSet, len(set))
		for i, r := range set {
			uids[i] = imap.UIDRange{Start: imap.UID(r.Start), Stop: imap.UID(r.Stop)}
		}
		return uids, nil
	}
	return set, nil
}

// seqNumber reads seq-number = nz-number / "*"; "*" is 0.
func (d *Decoder) seqNumber() (uint32, error) {
	if d.maybe('*') {
		return 0, nil
	}
	if d.atEnd() || d.peek() < '0' || d.peek() > '9' {
		return 0, d.errf("Invalid sequence set")
	}
	return d.nzNumber()
}
