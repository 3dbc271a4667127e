package frontend

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// pushNotifications writes what NOTIFY asked for and what changed since
// the last push (RFC 5465 §4, §5): LIST for the mailbox list, STATUS for
// watched mailboxes, and for the selected mailbox EXISTS (+ FETCH),
// EXPUNGE/VANISHED and FETCH FLAGS as SELECTED/SELECTED-DELAYED say. idle
// is true inside IDLE, where even SELECTED-DELAYED expunges may go out
// (§6.1.2); force asks the selected mailbox's changes even without news.
// The caller flushes. An error other than a *fatalError means "try
// again later": what could not be reported is kept.
func (c *conn) pushNotifications(idle, force bool) error {
	n := c.ntf
	if n == nil || c.sub == nil {
		return nil
	}
	p := c.sub.takeNotify()
	var errs []error
	if p.list || p.resync {
		ok, err := c.refreshList(nil)
		switch {
		case err != nil:
			c.sub.requeueNotify(notifyPending{list: p.list, resync: p.resync})
			errs = append(errs, err)
		case !ok:
			c.notifyOverflow()
			return nil
		default:
			p.boxes = nil // refreshList compared every watched mailbox
		}
	}
	ids := make([]uint64, 0, len(p.boxes))
	for id := range p.boxes {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uint64) int { return strings.Compare(n.watched[a], n.watched[b]) })
	var failed notifyPending
	for _, id := range ids {
		if err := c.pushStatus(id); err != nil {
			if failed.boxes == nil {
				failed.boxes = make(map[uint64]struct{})
			}
			failed.boxes[id] = struct{}{}
			errs = append(errs, err)
		}
	}
	c.sub.requeueNotify(failed)
	if se := n.spec.selected; se != nil && se.messages && c.sel != nil {
		err := c.sync(syncOpts{allowExpunge: idle || !se.delayed, force: force, flags: se.flags})
		var fe *fatalError
		if errors.As(err, &fe) {
			return err
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// pushStatus writes the STATUS of a watched mailbox that changed, when a
// counter its events cover moved (RFC 5465 §5.1–§5.3). The selected
// mailbox gets none: SELECTED governs its message events (§3.1).
func (c *conn) pushStatus(id uint64) error {
	n := c.ntf
	name, ok := n.watched[id]
	if !ok || c.isSelected(id) {
		return nil
	}
	mb, err := c.srv.cfg.Metadata.GetMailbox(c.ctx, &metadatapb.GetMailboxRequest{User: c.user, Name: name})
	if err != nil {
		if errors.Is(rpcErr(err), base.ErrNoSuchMailbox) {
			return nil // deleted or renamed: the list refresh tells
		}
		return rpcErr(err)
	}
	if mb.Id != id {
		return nil // the name moved to another mailbox: likewise
	}
	cur := statusOf(mb)
	if last, known := n.seen[id]; known && !c.statusMoved(id, last, cur) {
		return nil
	}
	n.seen[id] = cur
	c.writeNotifyStatus(mb, c.cs.condstore)
	return nil
}

// statusMoved reports whether the counters of a watched mailbox moved in
// a way its events cover: MessageNew/MessageExpunge the message count,
// UIDNEXT and UIDVALIDITY; FlagChange UNSEEN and, with CONDSTORE,
// HIGHESTMODSEQ (§5.1: without CONDSTORE a flag change that leaves
// UNSEEN alone is not reported).
func (c *conn) statusMoved(id uint64, last, cur statusVals) bool {
	n := c.ntf
	name := n.watched[id]
	ev := n.spec.eventsFor(name, n.list.subscribed[name])
	if ev.messages && (last.messages != cur.messages || last.uidNext != cur.uidNext || last.uidValidity != cur.uidValidity) {
		return true
	}
	return ev.flags && (last.unseen != cur.unseen || (c.cs.condstore && last.highestModseq != cur.highestModseq))
}

// notifyOverflow gives up on notifications (RFC 5465 §5.8): untagged
// OK [NOTIFICATIONOVERFLOW], then as if NOTIFY NONE had been received.
func (c *conn) notifyOverflow() {
	c.log.Info("frontend: NOTIFY overflow", "limit", c.maxNotifyMailboxes())
	c.enc.StatusResponse("*", "OK", "NOTIFICATIONOVERFLOW", "too many changes to report, NOTIFY is now off")
	c.notifyOff()
}

// notifyNewFetch writes the FETCH that follows EXISTS for new messages of
// the selected mailbox when NOTIFY's MessageNew has a fetch-att list
// (RFC 5465 §5.2), except for messages this session added itself.
func (c *conn) notifyNewFetch(added []uint32) error {
	sel := c.sel
	var se *selectedEvents
	if c.ntf != nil {
		se = c.ntf.spec.selected
	}
	if se == nil || !se.messages || len(se.fetch) == 0 {
		clear(sel.own)
		return nil
	}
	uids := make([]uint32, 0, len(added))
	for _, u := range added {
		if _, mine := sel.own[u]; !mine {
			uids = append(uids, u)
		}
	}
	// UIDs only grow: an own UID below the last one added was expunged
	// before it was reported, and will not be.
	last := added[len(added)-1]
	for u := range sel.own {
		if u <= last {
			delete(sel.own, u)
		}
	}
	if len(uids) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	filters, hdrIdx := headerFilters(se.fetch)
	stream, err := c.srv.cfg.Metadata.Fetch(ctx, &metadatapb.FetchRequest{
		User: c.user, MailboxId: sel.id, Uids: sel.uidSet(uids), WantMeta: se.needMeta,
		MetaFields:    metaFieldsIf(se.needMeta, se.fetch),
		HeaderFilters: filters,
	})
	if err != nil {
		return rpcErr(err)
	}
	w := fetchWriter{items: se.fetch, names: fetchNames(se.fetch), hdrIdx: hdrIdx}
	for {
		batch, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return rpcErr(err)
		}
		for _, rec := range batch.Messages {
			if rec.State == nil || (se.needMeta && rec.Meta == nil) || len(rec.HeaderSections) != len(filters) {
				continue
			}
			if seq := sel.seqOf(rec.State.Uid); seq != 0 {
				if err := c.writeFetch(ctx, seq, rec, &w); err != nil {
					return err
				}
			}
		}
	}
}

// noteOwnNew records messages this session added to mailboxID (APPEND,
// COPY, MOVE), which NOTIFY "SHOULD NOT" report back (RFC 5465 §5,
// §5.2): no MessageNew FETCH for the selected mailbox, no STATUS for a
// watched one.
func (c *conn) noteOwnNew(mailboxID uint64, uids []uint32) {
	if c.ntf == nil || len(uids) == 0 {
		return
	}
	if c.sel == nil || c.sel.id != mailboxID {
		c.absorbOwnStatus(mailboxID, uids)
		return
	}
	if se := c.ntf.spec.selected; se == nil || len(se.fetch) == 0 {
		return
	}
	if c.sel.own == nil {
		c.sel.own = make(map[uint32]struct{})
	}
	for _, u := range uids {
		c.sel.own[u] = struct{}{}
	}
}

// absorbOwnStatus takes the counters of a watched mailbox the session
// just added uids to as known, so that its change event sends no STATUS.
// Only when the mailbox moved by exactly that much (nobody else changed
// it meanwhile) and only for MessageNew/MessageExpunge: a FlagChange
// watcher also follows UNSEEN, which this cannot tell apart from another
// session's flag change. Otherwise the STATUS goes out, which is never
// wrong.
func (c *conn) absorbOwnStatus(id uint64, uids []uint32) {
	n := c.ntf
	name, ok := n.watched[id]
	if !ok {
		return
	}
	last, known := n.seen[id]
	if !known || n.spec.eventsFor(name, n.list.subscribed[name]).flags {
		return
	}
	mb, err := c.srv.cfg.Metadata.GetMailbox(c.ctx, &metadatapb.GetMailboxRequest{User: c.user, Name: name})
	if err != nil || mb.Id != id {
		return
	}
	cur := statusOf(mb)
	if cur.uidValidity == last.uidValidity && cur.messages == last.messages+uint32(len(uids)) && cur.uidNext == slices.Max(uids)+1 {
		n.seen[id] = cur
	}
}

// notifyOwnChange runs after this session changed the mailbox list: the
// list is reloaded now and the change left out of the notifications
// (RFC 5465 §5: "SHOULD omit notifying the client if the event is caused
// by this client"); other sessions' changes found on the way are told.
func (c *conn) notifyOwnChange(cmd *wire.Command) error {
	var raws []string
	switch a := cmd.Args.(type) {
	case *wire.CreateArgs:
		raws = []string{a.Mailbox}
	case *wire.MailboxArgs:
		if cmd.Name != "DELETE" && cmd.Name != "SUBSCRIBE" && cmd.Name != "UNSUBSCRIBE" {
			return nil
		}
		raws = []string{a.Mailbox}
	case *wire.RenameArgs:
		raws = []string{a.From, a.To}
	default:
		return nil
	}
	own := make([]string, 0, len(raws))
	for _, r := range raws {
		if name, err := c.mailboxFromWire(r); err == nil {
			own = append(own, name)
		}
	}
	ok, err := c.refreshList(slices.Clip(own))
	if err != nil {
		return err
	}
	if !ok {
		c.notifyOverflow()
	}
	return nil
}
