package state

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

func isNoSuchUser(err error) bool { return errors.Is(err, base.ErrNoSuchUser) }

// nextUIDValidity derives a UIDVALIDITY from the command's clock and the
// user's seed: max(seed+1, now). It is strictly increasing per user, so a
// mailbox recreated under a former name never repeats one (RFC 9051
// §2.3.1.1), even when the clock stands still or goes back.
func nextUIDValidity(u *schema.UserRecord, now int64) uint32 {
	v := u.UIDValiditySeed + 1
	if now > int64(v) && now <= int64(^uint32(0)) {
		v = uint32(now)
	}
	if v == 0 { // wrapped after 2^32 mailboxes: still never 0
		v = 1
	}
	u.UIDValiditySeed = v
	return v
}

// createMailbox writes a new empty mailbox at a canonical name that must
// not exist; u is updated (ids, seed) and must be written by the caller.
func (t *txn) createMailbox(u *schema.UserRecord, name, use string, now int64) (uint64, error) {
	id := u.NextMailboxID
	u.NextMailboxID++
	rec := schema.MailboxRecord{
		Name:           name,
		SpecialUse:     use,
		UIDValidity:    nextUIDValidity(u, now),
		UIDNext:        1,
		HighestModSeq:  1,
		FirstRecentUID: 1,
	}
	if err := t.set(schema.MailboxNameKey(t.shard, t.user, name), schema.EncodeU64(id)); err != nil {
		return 0, err
	}
	if err := t.putMailbox(id, &rec); err != nil {
		return 0, err
	}
	t.publish(hub.Event{MailboxID: id, ModSeq: rec.HighestModSeq, MailboxesChanged: true})
	return id, nil
}

// createParents creates the missing ancestors of a canonical name.
func (t *txn) createParents(u *schema.UserRecord, name string, now int64) error {
	for _, p := range parents(name) {
		_, ok, err := t.view().mailboxID(p)
		if err != nil {
			return err
		}
		if !ok {
			if _, err := t.createMailbox(u, p, "", now); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateMailbox creates a mailbox and its missing parents (RFC 9051 §6.3.4)
// with an optional special-use attribute (RFC 6154 §5.2).
func (s *Store) CreateMailbox(user, name, specialUse string, now int64) (*metadatapb.Mailbox, error) {
	name, err := CanonicalName(name)
	if err != nil {
		return nil, err
	}
	use, err := canonicalSpecialUse(specialUse)
	if err != nil {
		return nil, err
	}
	var out *metadatapb.Mailbox
	err = s.update(user, func(t *txn) error {
		v := t.view()
		u, err := v.userRecord()
		if err != nil {
			return err
		}
		if _, ok, err := v.mailboxID(name); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("state: mailbox %q: %w", name, base.ErrMailboxExists)
		}
		if err := t.createParents(&u, name, now); err != nil {
			return err
		}
		id, err := t.createMailbox(&u, name, use, now)
		if err != nil {
			return err
		}
		if err := t.putUser(&u); err != nil {
			return err
		}
		out, err = v.mailboxPB(id)
		return err
	})
	return out, err
}

// DeleteMailbox deletes a mailbox with its messages (their blobs are left
// to the garbage collector). INBOX cannot be deleted (ErrInvalidName); a
// mailbox with children is refused with ErrMailboxHasChild (RFC 9051
// §6.3.5 allows refusing). Subscriptions are kept (RFC 9051 §6.3.5).
func (s *Store) DeleteMailbox(user, name string) error {
	name, err := CanonicalName(name)
	if err != nil {
		return err
	}
	if name == Inbox {
		return fmt.Errorf("state: INBOX cannot be deleted: %w", base.ErrInvalidName)
	}
	return s.update(user, func(t *txn) error {
		v := t.view()
		id, ok, err := v.mailboxID(name)
		if err != nil {
			return err
		}
		if !ok {
			if _, err := v.userRecord(); err != nil {
				return err
			}
			return fmt.Errorf("state: mailbox %q: %w", name, base.ErrNoSuchMailbox)
		}
		children, err := v.namesUnder(name)
		if err != nil {
			return err
		}
		if len(children) > 0 {
			return fmt.Errorf("state: mailbox %q: %w", name, base.ErrMailboxHasChild)
		}
		if err := t.del(schema.MailboxNameKey(t.shard, user, name)); err != nil {
			return err
		}
		mb, err := v.mailbox(id)
		if err != nil {
			return err
		}
		if err := t.charge(-int64(mb.Size), -int64(mb.Messages), false); err != nil {
			return err
		}
		if err := t.del(schema.MailboxKey(t.shard, user, id)); err != nil {
			return err
		}
		if err := t.dropAnnotations(id); err != nil { // annotations.go
			return err
		}
		for _, tab := range schema.MailboxTables {
			p := schema.MailboxPrefix(t.shard, tab, user, id)
			if err := t.b.DeleteRange(p, schema.PrefixEnd(p), nil); err != nil {
				return fmt.Errorf("state: delete mailbox: %w", err)
			}
		}
		t.publish(hub.Event{MailboxID: id, MailboxesChanged: true})
		return nil
	})
}

// namesUnder returns the (name, id) of every mailbox strictly below name.
func (v *view) namesUnder(name string) ([]nameID, error) {
	p := schema.MailboxNameKey(v.shard, v.user, name+Separator)
	pl := len(schema.MailboxNameKey(v.shard, v.user, ""))
	var out []nameID
	err := scan(v.r, p, schema.PrefixEnd(p), func(k, val []byte) (bool, error) {
		id, err := schema.DecodeU64(val)
		out = append(out, nameID{string(k[pl:]), id})
		return true, err
	})
	return out, err
}

type nameID struct {
	name string
	id   uint64
}

// RenameMailbox renames a mailbox and its children (RFC 9051 §6.3.6),
// creating missing parents of the new name. Renaming INBOX moves its
// messages to a new mailbox (new id and UIDVALIDITY) and leaves INBOX
// empty; INBOX's children are not renamed. Subscriptions are not changed
// (RFC 9051 §6.3.6). Renaming a mailbox below itself is ErrInvalidName.
func (s *Store) RenameMailbox(user, from, to string, now int64) error {
	from, err := CanonicalName(from)
	if err != nil {
		return err
	}
	to, err = CanonicalName(to)
	if err != nil {
		return err
	}
	if to == Inbox || to == from {
		return fmt.Errorf("state: mailbox %q: %w", to, base.ErrMailboxExists)
	}
	if from != Inbox && strings.HasPrefix(to, from+Separator) {
		return fmt.Errorf("state: cannot rename %q below itself: %w", from, base.ErrInvalidName)
	}
	return s.update(user, func(t *txn) error {
		v := t.view()
		u, err := v.userRecord()
		if err != nil {
			return err
		}
		fromID, ok, err := v.mailboxID(from)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("state: mailbox %q: %w", from, base.ErrNoSuchMailbox)
		}
		if _, ok, err := v.mailboxID(to); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("state: mailbox %q: %w", to, base.ErrMailboxExists)
		}
		if from == Inbox {
			if err := t.renameInbox(&u, fromID, to, now); err != nil {
				return err
			}
		} else {
			children, err := v.namesUnder(from)
			if err != nil {
				return err
			}
			moves := append([]nameID{{from, fromID}}, children...)
			for _, m := range moves {
				if err := t.renameOne(m, to+strings.TrimPrefix(m.name, from)); err != nil {
					return err
				}
			}
			if err := t.createParents(&u, to, now); err != nil {
				return err
			}
		}
		return t.putUser(&u)
	})
}

func (t *txn) renameOne(m nameID, newName string) error {
	rec, err := t.view().mailbox(m.id)
	if err != nil {
		return err
	}
	// Every ancestor of a mailbox exists, so a free target implies free
	// target children; check anyway rather than overwrite a mapping.
	if _, taken, err := t.view().mailboxID(newName); err != nil {
		return err
	} else if taken {
		return fmt.Errorf("state: mailbox %q: %w", newName, base.ErrMailboxExists)
	}
	rec.Name = newName
	if err := t.del(schema.MailboxNameKey(t.shard, t.user, m.name)); err != nil {
		return err
	}
	if err := t.set(schema.MailboxNameKey(t.shard, t.user, newName), schema.EncodeU64(m.id)); err != nil {
		return err
	}
	t.publish(hub.Event{MailboxID: m.id, ModSeq: rec.HighestModSeq, MailboxesChanged: true})
	return t.putMailbox(m.id, &rec)
}

// renameInbox moves every INBOX message, with its UID, flags and modseq,
// into a new mailbox at to; INBOX keeps its UIDNEXT (UIDs are not reused)
// and logs the messages as expunged at a new modseq.
// The user's quota usage is unchanged: the messages stay the user's.
func (t *txn) renameInbox(u *schema.UserRecord, inboxID uint64, to string, now int64) error {
	if err := t.createParents(u, to, now); err != nil {
		return err
	}
	newID, err := t.createMailbox(u, to, "", now)
	if err != nil {
		return err
	}
	v := t.view()
	inbox, err := v.mailbox(inboxID)
	if err != nil {
		return err
	}
	dst, err := v.mailbox(newID)
	if err != nil {
		return err
	}
	msgs, err := v.collect(inboxID, allUIDs, true)
	if err != nil {
		return err
	}
	if err := t.copyAnnotations(inboxID, newID); err != nil { // annotations.go
		return err
	}
	expModSeq := inbox.HighestModSeq + 1
	for _, m := range msgs {
		if err := t.writeMessage(newID, m.uid, m.state, m.meta); err != nil {
			return err
		}
		if err := t.removeMessage(inboxID, m.uid, m.state, expModSeq); err != nil {
			return err
		}
	}
	dst.UIDNext = inbox.UIDNext
	dst.HighestModSeq = max(dst.HighestModSeq, inbox.HighestModSeq)
	dst.Messages, dst.Unseen, dst.Deleted, dst.Size = inbox.Messages, inbox.Unseen, inbox.Deleted, inbox.Size
	dst.Recent, dst.FirstRecentUID = inbox.Recent, inbox.FirstRecentUID
	inbox.Messages, inbox.Unseen, inbox.Deleted, inbox.Size, inbox.Recent = 0, 0, 0, 0, 0
	inbox.FirstRecentUID = inbox.UIDNext
	if len(msgs) > 0 {
		inbox.HighestModSeq = expModSeq
	}
	t.publish(hub.Event{MailboxID: inboxID, ModSeq: inbox.HighestModSeq, MailboxesChanged: true})
	t.publish(hub.Event{MailboxID: newID, ModSeq: dst.HighestModSeq, MailboxesChanged: true})
	if err := t.putMailbox(newID, &dst); err != nil {
		return err
	}
	return t.putMailbox(inboxID, &inbox)
}

// SetSubscribed subscribes or unsubscribes a name, which need not exist
// (RFC 9051 §6.3.7, §6.3.8). Unsubscribing a name not subscribed is not an
// error.
func (s *Store) SetSubscribed(user, name string, subscribed bool) error {
	name, err := CanonicalName(name)
	if err != nil {
		return err
	}
	return s.update(user, func(t *txn) error {
		if _, err := t.view().userRecord(); err != nil {
			return err
		}
		k := schema.SubscriptionKey(t.shard, user, name)
		_, was, err := get(t.b, k)
		if err != nil || was == subscribed {
			return err
		}
		if subscribed {
			err = t.set(k, nil)
		} else {
			err = t.del(k)
		}
		t.publish(hub.Event{MailboxesChanged: true})
		return err
	})
}

// ListMailboxes returns every mailbox of user sorted by name, and every
// subscribed name.
func (s *Store) ListMailboxes(user string) ([]*metadatapb.Mailbox, []string, error) {
	var boxes []*metadatapb.Mailbox
	var subs []string
	err := s.read(user, func(v *view) error {
		u, err := v.userRecord()
		if err != nil {
			return err
		}
		if subs, err = v.subscriptions(); err != nil {
			return err
		}
		subscribed := make(map[string]bool, len(subs))
		for _, n := range subs {
			subscribed[n] = true
		}
		p := schema.UserPrefix(v.shard, schema.TableMailbox, user)
		err = scan(v.r, p, schema.PrefixEnd(p), func(k, val []byte) (bool, error) {
			id, err := schema.DecodeU64(k[len(p):])
			if err != nil {
				return false, err
			}
			rec, err := schema.DecodeMailboxRecord(val)
			if err != nil {
				return false, err
			}
			boxes = append(boxes, toPB(id, &rec, subscribed[rec.Name], mailboxObjectID(&u, id)))
			return true, nil
		})
		return err
	})
	sort.Slice(boxes, func(i, j int) bool { return boxes[i].Name < boxes[j].Name })
	return boxes, subs, err
}

func (v *view) subscriptions() ([]string, error) {
	p := schema.UserPrefix(v.shard, schema.TableSubscription, v.user)
	var out []string
	err := scan(v.r, p, schema.PrefixEnd(p), func(k, _ []byte) (bool, error) {
		out = append(out, string(k[len(p):]))
		return true, nil
	})
	return out, err
}

// GetMailbox returns a mailbox by name.
func (s *Store) GetMailbox(user, name string) (*metadatapb.Mailbox, error) {
	name, err := CanonicalName(name)
	if err != nil {
		return nil, err
	}
	var out *metadatapb.Mailbox
	err = s.read(user, func(v *view) error {
		id, ok, err := v.mailboxID(name)
		if err != nil {
			return err
		}
		if !ok {
			if _, err := v.userRecord(); err != nil {
				return err
			}
			return fmt.Errorf("state: mailbox %q: %w", name, base.ErrNoSuchMailbox)
		}
		out, err = v.mailboxPB(id)
		return err
	})
	return out, err
}

// mailboxPB reads a mailbox and its subscription into the wire type.
func (v *view) mailboxPB(id uint64) (*metadatapb.Mailbox, error) {
	rec, err := v.mailbox(id)
	if err != nil {
		return nil, err
	}
	_, sub, err := get(v.r, schema.SubscriptionKey(v.shard, v.user, rec.Name))
	if err != nil {
		return nil, err
	}
	u, err := v.userRecord()
	if err != nil {
		return nil, err
	}
	return toPB(id, &rec, sub, mailboxObjectID(&u, id)), nil
}

func toPB(id uint64, r *schema.MailboxRecord, subscribed bool, objectID string) *metadatapb.Mailbox {
	return &metadatapb.Mailbox{
		Id:            id,
		Name:          r.Name,
		UidValidity:   r.UIDValidity,
		UidNext:       r.UIDNext,
		HighestModseq: r.HighestModSeq,
		Messages:      r.Messages,
		Unseen:        r.Unseen,
		Recent:        r.Recent,
		Size:          r.Size,
		Deleted:       r.Deleted,
		SpecialUse:    r.SpecialUse,
		Subscribed:    subscribed,
		ObjectId:      objectID,
	}
}
