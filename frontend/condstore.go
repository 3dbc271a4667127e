package frontend

import (
	"context"
	"errors"
	"io"
	"slices"
	"strconv"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// condCaps are advertised in every state (RFC 7162 §3.1.1, §3.2.2). Every
// mailbox has persistent mod-sequences (the metadata node allocates one
// for each change and logs expunges), so NOMODSEQ is never sent.
var condCaps = []string{"CONDSTORE", "QRESYNC"}

// condState is what the session enabled of RFC 7162. Both last until the
// connection closes (or UNAUTHENTICATE starts a new session, RFC 8437).
type condState struct {
	// condstore: a CONDSTORE enabling command was issued (RFC 7162 §3.1):
	// every untagged FETCH then carries UID and MODSEQ (§3.2.4).
	condstore bool
	// qresync: ENABLE QRESYNC was answered (§3.2.3): expunges are
	// reported with VANISHED (§3.2.10.2), and the QRESYNC SELECT parameter
	// and the VANISHED FETCH modifier are allowed.
	qresync bool
	// searchModseq hands the highest MODSEQ of the SEARCH in progress to
	// searchResults (0: the criteria had no MODSEQ key); read once.
	searchModseq uint64
	// holdVanished: the command in progress searched by sequence number,
	// so no VANISHED may answer it, not even a UID SEARCH (RFC 7162
	// §3.2.10.2, stricter than RFC 9051 §7.5.1 is for EXPUNGE). The sync
	// after the command reads and clears it.
	holdVanished bool
}

// enableCondstore records a CONDSTORE enabling command. The first one
// issued with a mailbox selected announces its HIGHESTMODSEQ (RFC 7162
// §3.1).
func (c *conn) enableCondstore() {
	if c.cs.condstore {
		return
	}
	c.cs.condstore = true
	if c.sel != nil {
		c.enc.Raw("* OK [HIGHESTMODSEQ ").Number(c.sel.safeModseq()).Raw("] highest mod-sequence").CRLF()
	}
}

// enableSync runs ENABLE CONDSTORE or ENABLE QRESYNC (which implies
// CONDSTORE, RFC 7162 §3.2.3) and reports whether the capability was off
// before the ENABLE command, i.e. whether ENABLED names it (RFC 5161 §3.2).
func (c *conn) enableSync(name string, before condState) bool {
	c.enableCondstore()
	if name == "QRESYNC" {
		c.cs.qresync = true
		return !before.qresync
	}
	return !before.condstore
}

// safeModseq is the HIGHESTMODSEQ the client may cache for the selected
// mailbox: everything up to it has been reported. While expunges wait in
// pending (RFC 9051 §7.5.1 forbade sending them), it stays below their
// mod-sequence (RFC 7162 §3.2: a client that disconnects now must learn of
// them at its next QRESYNC). Flag changes NOTIFY holds back (sel.held) keep
// it down the same way.
func (s *selected) safeModseq() uint64 {
	m := s.modseq
	if len(s.pending) > 0 {
		m = s.pendingFloor
	}
	if len(s.held) > 0 {
		m = min(m, s.heldFloor)
	}
	return m
}

// writeStateFetch writes an untagged FETCH for a changed message to a
// CONDSTORE-aware client: UID and MODSEQ always (RFC 7162 §3.2.4), FLAGS
// when asked.
func (c *conn) writeStateFetch(seq uint32, st *metadatapb.MessageState, flags bool) {
	c.enc.Raw("* ").Number(uint64(seq)).Raw(" FETCH (UID ").Number(uint64(st.Uid)).
		Raw(" MODSEQ (").Number(st.Modseq).Raw(")")
	if flags {
		c.enc.Raw(" FLAGS ").Raw(c.flagList(st))
	}
	c.enc.Raw(")").CRLF()
}

// reportExpunged removes UIDs from the view and tells the client: one
// EXPUNGE per message, or once QRESYNC is enabled a single VANISHED
// without EARLIER (RFC 7162 §3.2.10.2) naming only messages the client
// knew of.
func (c *conn) reportExpunged(uids []uint32) {
	sel := c.sel
	if !c.cs.qresync {
		for _, uid := range uids {
			if seq := sel.remove(uid); seq != 0 {
				c.enc.Raw("* ").Number(uint64(seq)).Raw(" EXPUNGE").CRLF()
			}
		}
		return
	}
	gone := make([]uint32, 0, len(uids))
	for _, uid := range uids {
		if sel.remove(uid) != 0 {
			gone = append(gone, uid)
		}
	}
	if len(gone) == 0 {
		return
	}
	slices.Sort(gone)
	c.enc.Raw("* VANISHED ").Raw(formatUIDs(gone)).CRLF()
}

// expungedOK is the tagged answer of a command that expunged n messages
// of the selected mailbox (EXPUNGE, UID EXPUNGE, MOVE): with QRESYNC and
// n > 0, OK [HIGHESTMODSEQ] (RFC 7162 §3.2.7, §3.2.9; RFC 6851 §4.4).
// Other sessions' changes are reported first, so that everything up to
// that MODSEQ has been told; a failed poll leaves safeModseq below the
// expunge, which is still true.
func (c *conn) expungedOK(n int, text string) error {
	if !c.cs.qresync || n == 0 || c.sel == nil {
		return nil
	}
	if err := c.syncView(true, true); err != nil {
		var fe *fatalError
		if errors.As(err, &fe) {
			return err
		}
		c.log.Warn("frontend: reading mailbox changes", "err", err)
	}
	return okCode("HIGHESTMODSEQ "+strconv.FormatUint(c.sel.safeModseq(), 10), text)
}

// searchUsesModseq reports whether a criteria tree holds a MODSEQ key: a
// CONDSTORE enabling command whose answer carries the highest MODSEQ of
// the matches (RFC 7162 §3.1.5, §3.1.10).
func searchUsesModseq(k *wire.SearchKey) bool {
	if k == nil {
		return false
	}
	if k.Op == wire.SearchModSeq {
		return true
	}
	for _, ch := range k.Children {
		if searchUsesModseq(ch) {
			return true
		}
	}
	return false
}

// resultModseq is the MODSEQ a SORT answer ends with (RFC 7162 §3.1.9,
// §3.1.10): the highest of the messages returned when the criteria hold a
// MODSEQ key, 0 (nothing appended) otherwise or when nothing matched.
func (c *conn) resultModseq(k *wire.SearchKey, uids []uint32) (uint64, error) {
	if !searchUsesModseq(k) || len(uids) == 0 {
		return 0, nil
	}
	return c.highestModseqOf(uids)
}

// highestModseqOf returns the highest MODSEQ among UIDs of the view. The Search RPC's highest_modseq covers every match, including
// messages not yet announced to this session, so when the session dropped
// some of the matches the value is recomputed for the ones it returns.
func (c *conn) highestModseqOf(uids []uint32) (uint64, error) {
	if len(uids) == 0 {
		return 0, nil
	}
	uids = slices.Clone(uids)
	slices.Sort(uids) // SORT passes them in sort order
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	stream, err := c.srv.cfg.Metadata.Fetch(ctx, &metadatapb.FetchRequest{
		User: c.user, MailboxId: c.sel.id, Uids: c.sel.uidSet(uids),
	})
	if err != nil {
		return 0, rpcErr(err)
	}
	var m uint64
	for {
		batch, err := stream.Recv()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return 0, rpcErr(err)
		}
		for _, rec := range batch.Messages {
			if rec.State != nil && c.sel.seqOf(rec.State.Uid) != 0 {
				m = max(m, rec.State.Modseq)
			}
		}
	}
}
