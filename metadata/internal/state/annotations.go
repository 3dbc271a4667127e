package state

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 5464 METADATA: annotations of a user's mailboxes and of the server
// as the user sees it. They are keyed by mailbox id (schema.AnnotationKey),
// so RENAME carries them and DELETE drops them in its batch; mailbox id 0
// holds the server annotations. /private and /shared entries are stored
// alike: without ACLs nobody but the user sees either (RFC 5464 §3.3),
// so a /shared entry of a user's mailbox is shared among nobody else.

// Limits on annotations. RFC 5464 §4.1 requires at least 1024-octet
// values and 10 entries per mailbox and for the server; §7 requires
// limits so that no user fills the disk. The per-user limits also bound a
// GetMetadata answer well under gRPC's 4 MiB message limit: each stored
// entry is returned at most once per call.
const (
	MaxAnnotationValue     = 64 << 10 // octets per value (METADATA MAXSIZE)
	MaxMailboxAnnotations  = 100      // entries per mailbox, and for the server
	MaxUserAnnotations     = 1000     // entries of all the user's mailboxes
	MaxUserAnnotationBytes = 1 << 20  // names and values of all of them
)

// serverMailbox is the mailbox id of the server annotations: ids of real
// mailboxes start at 1.
const serverMailbox = 0

// GetMetadata answers GETMETADATA (RFC 5464 §4.2) for every mailbox of
// the request ("" is the server): the requested entries and, with a
// DEPTH, the entries below them (§4.2.2), leaving out values longer than
// MAXSIZE (§4.2.1). ErrNoSuchMailbox for a missing mailbox unless
// SkipMissing; ErrInvalidArgument for an invalid entry name.
func (s *Store) GetMetadata(req *metadatapb.GetMetadataRequest) (*metadatapb.GetMetadataResponse, error) {
	entries, err := canonicalEntries(req.Entries)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("state: GetMetadata without entries: %w", base.ErrInvalidArgument)
	}
	out := &metadatapb.GetMetadataResponse{}
	err = s.read(req.User, func(v *view) error {
		if _, err := v.userRecord(); err != nil {
			return err
		}
		for _, name := range req.Mailboxes {
			id, canon, err := v.annotatedMailbox(name)
			if err != nil {
				if req.SkipMissing && isNoSuchMailbox(err) {
					continue
				}
				return err
			}
			mm := &metadatapb.MailboxMetadata{Mailbox: canon}
			q := lookup{v: v, mbox: id, depth: req.Depth, maxSize: -1, seen: map[string]bool{}}
			if req.HasMaxSize {
				q.maxSize = int64(min(req.MaxSize, MaxAnnotationValue+1))
			}
			for _, e := range entries {
				got, err := q.entry(e)
				if err != nil {
					return err
				}
				mm.Entries = append(mm.Entries, got...)
			}
			out.LongestSkipped = max(out.LongestSkipped, q.longest)
			out.Mailboxes = append(out.Mailboxes, mm)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lookup answers the entries of one mailbox of a GetMetadata.
type lookup struct {
	v       *view
	mbox    uint64
	depth   metadatapb.MetadataDepth
	maxSize int64 // -1: no MAXSIZE
	longest uint64
	seen    map[string]bool // entries already answered (or skipped)
}

// entry returns the value of e and, with a depth, of the entries below
// it. An entry with no value answers NIL, unless entries below it were
// found: RFC 5464 §4.4.1's DEPTH example lists only the children.
func (q *lookup) entry(e string) ([]*metadatapb.MetadataEntry, error) {
	var out []*metadatapb.MetadataEntry
	found := false
	add := func(name string, value []byte) {
		found = true
		if q.seen[name] {
			return
		}
		q.seen[name] = true
		if q.maxSize >= 0 && int64(len(value)) > q.maxSize {
			q.longest = max(q.longest, uint64(len(value)))
			return
		}
		out = append(out, &metadatapb.MetadataEntry{Name: name, Value: value})
	}
	b, ok, err := get(q.v.r, schema.AnnotationKey(q.v.shard, q.v.user, q.mbox, e))
	if err != nil {
		return nil, err
	}
	if ok {
		val, err := schema.DecodeAnnotation(b)
		if err != nil {
			return nil, err
		}
		add(e, val)
	}
	if q.depth != metadatapb.MetadataDepth_METADATA_DEPTH_0 {
		// Children share the prefix e + "/"; names sort, so they are one range.
		p := schema.AnnotationKey(q.v.shard, q.v.user, q.mbox, e+"/")
		pl := len(schema.AnnotationPrefix(q.v.shard, q.v.user, q.mbox))
		err := scan(q.v.r, p, schema.PrefixEnd(p), func(k, raw []byte) (bool, error) {
			name := string(k[pl:])
			if q.depth == metadatapb.MetadataDepth_METADATA_DEPTH_1 && strings.Contains(name[len(e)+1:], "/") {
				return true, nil
			}
			val, err := schema.DecodeAnnotation(raw)
			if err != nil {
				return false, err
			}
			add(name, append([]byte(nil), val...))
			return true, nil
		})
		if err != nil {
			return nil, err
		}
	}
	if !found && !q.seen[e] {
		q.seen[e] = true
		out = append(out, &metadatapb.MetadataEntry{Name: e, Nil: true})
	}
	return out, nil
}

// SetMetadata answers SETMETADATA (RFC 5464 §4.3): every entry of the
// request is set (or, when Nil, deleted) in one batch, or, when a limit
// would be passed, none is and the response says which limit
// (METADATA MAXSIZE or TOOMANY). Growth past a limit is refused; a change
// that shrinks usage is always allowed, even over a limit (an INBOX rename
// can copy annotations past one). Server annotations ("" mailbox) take
// only /private entries: /shared ones are the administrator's, refused
// with ErrInvalidArgument.
func (s *Store) SetMetadata(req *metadatapb.SetMetadataRequest) (*metadatapb.SetMetadataResponse, error) {
	// Last one wins for an entry named twice; order of first mention kept.
	var names []string
	values := map[string]*metadatapb.MetadataEntry{}
	for _, e := range req.Entries {
		name, err := base.CanonicalEntry(e.Name)
		if err != nil {
			return nil, err
		}
		if req.Mailbox == "" && strings.HasPrefix(name, base.SharedPrefix) {
			return nil, fmt.Errorf("state: server entry %q is read-only: %w", name, base.ErrInvalidArgument)
		}
		if _, ok := values[name]; !ok {
			names = append(names, name)
		}
		values[name] = e
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("state: SetMetadata without entries: %w", base.ErrInvalidArgument)
	}
	out := &metadatapb.SetMetadataResponse{MaxSize: MaxAnnotationValue}
	for _, n := range names {
		if e := values[n]; !e.Nil && len(e.Value) > MaxAnnotationValue {
			out.Refusal = metadatapb.MetadataRefusal_METADATA_MAXSIZE
			return out, nil
		}
	}
	err := s.update(req.User, func(t *txn) error {
		v := t.view()
		if _, err := v.userRecord(); err != nil {
			return err
		}
		id, _, err := v.annotatedMailbox(req.Mailbox)
		if err != nil {
			return err
		}
		usage, err := v.annotationUsage()
		if err != nil {
			return err
		}
		inMailbox, err := v.annotationCount(id)
		if err != nil {
			return err
		}
		before, beforeCount := usage, inMailbox
		type write struct {
			key   []byte
			value []byte // nil: delete
		}
		var writes []write
		for _, n := range names {
			e := values[n]
			k := schema.AnnotationKey(t.shard, t.user, id, n)
			old, had, err := get(t.b, k)
			if err != nil {
				return err
			}
			if had {
				usage.Entries--
				usage.Bytes -= min(usage.Bytes, uint64(len(n)+len(old)-1)) // -1: format byte
				inMailbox--
			}
			if e.Nil {
				if had {
					writes = append(writes, write{key: k})
				}
				continue
			}
			usage.Entries++
			usage.Bytes += uint64(len(n) + len(e.Value))
			inMailbox++
			writes = append(writes, write{key: k, value: schema.EncodeAnnotation(e.Value)})
		}
		if (inMailbox > MaxMailboxAnnotations && inMailbox > beforeCount) ||
			(usage.Entries > MaxUserAnnotations && usage.Entries > before.Entries) ||
			(usage.Bytes > MaxUserAnnotationBytes && usage.Bytes > before.Bytes) {
			out.Refusal = metadatapb.MetadataRefusal_METADATA_TOOMANY
			return nil // nothing written: the batch is empty
		}
		for _, w := range writes {
			if w.value == nil {
				err = t.del(w.key)
			} else {
				err = t.set(w.key, w.value)
			}
			if err != nil {
				return err
			}
		}
		if len(writes) == 0 {
			return nil
		}
		return t.set(schema.AnnotationUsageKey(t.shard, t.user), usage.Encode())
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// canonicalEntries validates entry names and drops repeats.
func canonicalEntries(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, e := range in {
		c, err := base.CanonicalEntry(e)
		if err != nil {
			return nil, err
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

func isNoSuchMailbox(err error) bool { return errors.Is(err, base.ErrNoSuchMailbox) }

// annotatedMailbox resolves the mailbox argument of GETMETADATA and
// SETMETADATA: "" is the server (id 0), anything else a mailbox that must
// exist (RFC 5464 §3.3: annotations only on mailboxes LIST returns).
func (v *view) annotatedMailbox(name string) (uint64, string, error) {
	if name == "" {
		return serverMailbox, "", nil
	}
	canon, err := CanonicalName(name)
	if err != nil {
		return 0, "", err
	}
	id, ok, err := v.mailboxID(canon)
	if err != nil {
		return 0, "", err
	}
	if !ok {
		return 0, "", fmt.Errorf("state: mailbox %q: %w", canon, base.ErrNoSuchMailbox)
	}
	return id, canon, nil
}

// annotationUsage reads the user's annotation usage; none is zero.
func (v *view) annotationUsage() (schema.AnnotationUsage, error) {
	b, ok, err := get(v.r, schema.AnnotationUsageKey(v.shard, v.user))
	if err != nil || !ok {
		return schema.AnnotationUsage{}, err
	}
	return schema.DecodeAnnotationUsage(b)
}

// annotationCount counts the annotations of one mailbox, reading keys
// only (values may be large).
func (v *view) annotationCount(mbox uint64) (int, error) {
	p := schema.AnnotationPrefix(v.shard, v.user, mbox)
	it, err := v.r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: schema.PrefixEnd(p)})
	if err != nil {
		return 0, fmt.Errorf("state: iter: %w", err)
	}
	n := 0
	for valid := it.First(); valid; valid = it.Next() {
		n++
	}
	return n, it.Close()
}

// dropAnnotations deletes the annotations of a mailbox being deleted
// (RFC 5464 §4.1: a mailbox created later under the same name must not
// inherit them) and releases their usage.
func (t *txn) dropAnnotations(mbox uint64) error {
	var gone schema.AnnotationUsage
	p := schema.AnnotationPrefix(t.shard, t.user, mbox)
	err := scan(t.b, p, schema.PrefixEnd(p), func(k, v []byte) (bool, error) {
		gone.Entries++
		gone.Bytes += uint64(len(k) - len(p) + len(v) - 1)
		return true, nil
	})
	if err != nil || gone.Entries == 0 {
		return err
	}
	if err := t.b.DeleteRange(p, schema.PrefixEnd(p), nil); err != nil {
		return fmt.Errorf("state: delete annotations: %w", err)
	}
	u, err := t.view().annotationUsage()
	if err != nil {
		return err
	}
	u.Entries -= min(u.Entries, gone.Entries)
	u.Bytes -= min(u.Bytes, gone.Bytes)
	return t.set(schema.AnnotationUsageKey(t.shard, t.user), u.Encode())
}

// copyAnnotations copies the annotations of one mailbox to another: RFC
// 5464 §4.1 has INBOX's annotations both stay on INBOX and go with the
// mailbox a RENAME INBOX creates. The copy counts in the usage but is not
// refused over a limit: the rename is the user's to make.
func (t *txn) copyAnnotations(from, to uint64) error {
	var added schema.AnnotationUsage
	var copies [][2][]byte // collected first: no writes into the batch being iterated
	p := schema.AnnotationPrefix(t.shard, t.user, from)
	err := scan(t.b, p, schema.PrefixEnd(p), func(k, v []byte) (bool, error) {
		added.Entries++
		added.Bytes += uint64(len(k) - len(p) + len(v) - 1)
		nk := schema.AnnotationKey(t.shard, t.user, to, string(k[len(p):]))
		copies = append(copies, [2][]byte{nk, append([]byte(nil), v...)})
		return true, nil
	})
	if err != nil || added.Entries == 0 {
		return err
	}
	for _, c := range copies {
		if err := t.set(c[0], c[1]); err != nil {
			return err
		}
	}
	u, err := t.view().annotationUsage()
	if err != nil {
		return err
	}
	u.Entries += added.Entries
	u.Bytes += added.Bytes
	return t.set(schema.AnnotationUsageKey(t.shard, t.user), u.Encode())
}
