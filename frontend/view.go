package frontend

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/postbus/postbus/proto/metadatapb"
)

// selected is a session's view of its selected mailbox (RFC 9051 §2.3.1.2):
// sequence number n is uids[n-1]. The view changes only when the session
// tells the client (EXISTS, EXPUNGE), never behind its back.
type selected struct {
	id          uint64
	name        string // UTF-8, as metadata spells it
	readOnly    bool
	uidValidity uint32
	uids        []uint32            // ascending
	recent      map[uint32]struct{} // \Recent claimed by this session (RFC 3501 §2.3.2)
	modseq      uint64              // changes up to here are reflected in the view
	// pending are UIDs expunged by others that the client has not been told
	// of yet because the RFC forbade it at the time (RFC 9051 §7.5.1).
	pending []uint32
	// pendingFloor is modseq as it was when pending last became non-empty:
	// the HIGHESTMODSEQ a client may cache meanwhile (condstore.go).
	pendingFloor uint64
	// reported maps UIDs to the MODSEQ whose flags this session already sent
	// (its own STORE), so Changes does not echo them.
	reported map[uint32]uint64
	// searchRes is the SEARCHRES saved result (RFC 5182), as UIDs.
	searchRes []uint32
	// stale: the last Changes call failed; the next sync must ask again.
	stale bool
	// held are flag changes not reported yet because NOTIFY did not ask
	// for FlagChange (update.go); the next sync that may reports them.
	held map[uint32]*metadatapb.MessageState
	// heldFloor is modseq as it was when held last became non-empty
	// (safeModseq, as pendingFloor).
	heldFloor uint64
	// own are UIDs this session added (APPEND, COPY) that NOTIFY's
	// MessageNew FETCH leaves out (RFC 5465 §5.2, notify_push.go).
	own map[uint32]struct{}
}

// seqOf returns the sequence number of uid, or 0.
func (s *selected) seqOf(uid uint32) uint32 {
	i := sort.Search(len(s.uids), func(i int) bool { return s.uids[i] >= uid })
	if i < len(s.uids) && s.uids[i] == uid {
		return uint32(i + 1)
	}
	return 0
}

// maxUID is the UID of the last message in the view, 0 if empty.
func (s *selected) maxUID() uint32 {
	if len(s.uids) == 0 {
		return 0
	}
	return s.uids[len(s.uids)-1]
}

func (s *selected) isRecent(uid uint32) bool {
	_, ok := s.recent[uid]
	return ok
}

// resolve turns a sequence or UID set of a command into the ascending UIDs
// of the view it names. Sequence numbers beyond the view (other than "*")
// are a client error (BAD); UIDs that do not exist are silently ignored
// (RFC 9051 §6.4.8).
func (s *selected) resolve(set imap.NumSet) ([]uint32, error) {
	if set == nil {
		return nil, bad("", "missing sequence set")
	}
	if imap.IsSearchRes(set) {
		return s.savedInView(), nil
	}
	var out []uint32
	switch set := set.(type) {
	case imap.SeqSet:
		n := uint32(len(s.uids))
		for _, r := range set {
			start, stop := r.Start, r.Stop
			dynamic := start == 0 || stop == 0
			if start == 0 {
				start = n
			}
			if stop == 0 {
				stop = n
			}
			if start > stop {
				start, stop = stop, start
			}
			if n == 0 {
				if dynamic {
					continue
				}
				return nil, bad("", "no messages in mailbox: invalid sequence set "+set.String())
			}
			if dynamic && stop > n {
				stop = n
			}
			if start == 0 || stop > n {
				return nil, bad("", "sequence number out of range: "+set.String())
			}
			out = append(out, s.uids[start-1:stop]...)
		}
	case imap.UIDSet:
		max := s.maxUID()
		for _, r := range set {
			start, stop := uint32(r.Start), uint32(r.Stop)
			if start == 0 {
				start = max
			}
			if stop == 0 {
				stop = max
			}
			if start > stop {
				start, stop = stop, start
			}
			i := sort.Search(len(s.uids), func(i int) bool { return s.uids[i] >= start })
			for ; i < len(s.uids) && s.uids[i] <= stop; i++ {
				out = append(out, s.uids[i])
			}
		}
	default:
		return nil, bad("", "invalid sequence set")
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// savedInView is the SEARCHRES result restricted to messages still in view.
func (s *selected) savedInView() []uint32 {
	out := make([]uint32, 0, len(s.searchRes))
	for _, u := range s.searchRes {
		if s.seqOf(u) != 0 {
			out = append(out, u)
		}
	}
	return out
}

// remove deletes uid from the view and returns its former sequence number.
func (s *selected) remove(uid uint32) uint32 {
	seq := s.seqOf(uid)
	if seq == 0 {
		return 0
	}
	s.uids = slices.Delete(s.uids, int(seq-1), int(seq))
	delete(s.recent, uid)
	delete(s.reported, uid)
	if i, ok := slices.BinarySearch(s.pending, uid); ok {
		s.pending = slices.Delete(s.pending, i, i+1)
	}
	return seq
}

// uidSet builds the RPC form of ascending UIDs of the view. UIDs that are
// neighbours in the view (consecutive sequence numbers) become one range
// even when UIDs between them were expunged: no live message can have such
// a UID (UIDs only grow, and the view holds every message up to its last
// UID), so "1:*" of a sparse mailbox is one range, not one per message.
func (s *selected) uidSet(uids []uint32) *metadatapb.UidSet {
	set := &metadatapb.UidSet{}
	prevSeq := uint32(0)
	for _, u := range uids {
		seq := s.seqOf(u)
		n := len(set.Ranges)
		if seq != 0 && prevSeq != 0 && seq == prevSeq+1 && n > 0 {
			set.Ranges[n-1].Stop = u
		} else if n > 0 && set.Ranges[n-1].Stop+1 == u {
			set.Ranges[n-1].Stop = u
		} else {
			set.Ranges = append(set.Ranges, &metadatapb.UidRange{Start: u, Stop: u})
		}
		prevSeq = seq
	}
	return set
}

// formatUIDs writes ascending-or-not UIDs as an IMAP uid-set, compressing
// runs of consecutive UIDs (RFC 4315 §3: order is kept for COPYUID).
func formatUIDs(uids []uint32) string {
	var b strings.Builder
	for i := 0; i < len(uids); {
		j := i
		for j+1 < len(uids) && uids[j+1] == uids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(uids[i]), 10))
		if j > i {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(uint64(uids[j]), 10))
		}
		i = j + 1
	}
	return b.String()
}

// formatFlags renders a flag list, adding \Recent when asked.
func formatFlags(flags []string, recent bool) string {
	var b strings.Builder
	b.WriteByte('(')
	n := 0
	for _, f := range flags {
		if strings.EqualFold(f, `\Recent`) {
			continue
		}
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f)
		n++
	}
	if recent {
		if n > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`\Recent`)
	}
	b.WriteByte(')')
	return b.String()
}

// resolveSearch is resolve for a SEARCH key: sequence numbers beyond the
// view simply match nothing (a criterion, not an address).
func (s *selected) resolveSearch(set imap.NumSet) ([]uint32, error) {
	seqs, ok := set.(imap.SeqSet)
	if !ok || imap.IsSearchRes(set) {
		return s.resolve(set)
	}
	n := uint32(len(s.uids))
	var clamped imap.SeqSet
	for _, r := range seqs {
		start, stop := r.Start, r.Stop
		if start == 0 {
			start = n
		}
		if stop == 0 {
			stop = n
		}
		if start > stop {
			start, stop = stop, start
		}
		if n == 0 || start > n {
			continue
		}
		clamped = append(clamped, imap.SeqRange{Start: start, Stop: min(stop, n)})
	}
	if len(clamped) == 0 {
		return nil, nil
	}
	return s.resolve(clamped)
}

// flagList renders a message's flags for this client: \Recent, which
// IMAP4rev2 removed (RFC 9051 Appendix E), only for IMAP4rev1 sessions.
func (c *conn) flagList(st *metadatapb.MessageState) string {
	return formatFlags(st.Flags, !c.rev2 && c.sel != nil && c.sel.isRecent(st.Uid))
}
