package frontend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/frontend/internal/message"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// maxInspect is the largest BINARY section read into memory to tell a
// literal from a literal8 (RFC 3516 §4.3: literal8 only when NULs occur);
// larger ones are always sent as literal8, which the grammar allows.
const maxInspect = 1 << 20

// RFC 9051 §6.4.5 FETCH, §6.4.9 UID FETCH, RFC 3516 BINARY, RFC 7162
// MODSEQ, CHANGEDSINCE and VANISHED, RFC 8474 EMAILID and THREADID.
func (c *conn) cmdFetch(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.FetchArgs)
	if !ok {
		return bad("", "FETCH expects a sequence set and data items")
	}
	// RFC 7162 §3.2.6: VANISHED only in UID FETCH, with CHANGEDSINCE, after
	// ENABLE QRESYNC.
	if a.Vanished {
		switch {
		case !c.cs.qresync:
			return bad("", "VANISHED needs ENABLE QRESYNC")
		case !cmd.UID:
			return bad("", "VANISHED is only allowed in UID FETCH")
		case !a.HasChangedSince:
			return bad("", "VANISHED needs CHANGEDSINCE")
		}
	}
	items := a.Items
	needMeta, needIDs, setSeen, hasUID, hasFlags, hasModseq := false, false, false, false, false, false
	for _, it := range items {
		switch it.Name {
		case "EMAILID", "THREADID": // RFC 8474 §5.3, objectid.go
			needIDs = true
		case "UID":
			hasUID = true
		case "FLAGS":
			hasFlags = true
		case "MODSEQ":
			hasModseq = true
		case "BODY[]", "BINARY[]":
			// The node filters HEADER.FIELDS of the message itself.
			needMeta = needMeta || !nodeHeaderSection(it)
			if !it.Peek {
				setSeen = true
			}
		case "RFC822", "RFC822.TEXT":
			needMeta, setSeen = true, true
		default:
			needMeta = true
		}
	}
	if cmd.UID && !hasUID {
		// RFC 9051 §6.4.9: UID FETCH always returns the UID.
		items = append([]wire.FetchItem{{Name: "UID"}}, items...)
		hasUID = true
	}
	// RFC 7162 §3.1: MODSEQ and CHANGEDSINCE are CONDSTORE enabling; §3.1.4.1:
	// CHANGEDSINCE implies MODSEQ.
	if hasModseq || a.HasChangedSince {
		c.enableCondstore()
	}
	if a.HasChangedSince && !hasModseq {
		items = append(items, wire.FetchItem{Name: "MODSEQ"})
		hasModseq = true
	}
	sel := c.sel
	uids, err := sel.resolve(a.Set)
	if err != nil {
		return err
	}
	if a.Vanished {
		// Before any FETCH response (§3.2.6), even when no message of the
		// set is left.
		if err := c.fetchVanished(a.Set, a.ChangedSince); err != nil {
			return err
		}
	}
	if len(uids) == 0 {
		return nil
	}
	if setSeen && !sel.readOnly && c.cs.condstore {
		// RFC 7162 §3.2.4: a FETCH that sets \Seen answers with UID and
		// MODSEQ once CONDSTORE is enabled.
		if !hasUID {
			items = append([]wire.FetchItem{{Name: "UID"}}, items...)
		}
		if !hasModseq {
			items = append(items, wire.FetchItem{Name: "MODSEQ"})
		}
	}
	if setSeen && !sel.readOnly {
		// RFC 9051 §6.4.5: a non-PEEK body fetch sets \Seen; the FETCH
		// responses then carry FLAGS.
		resp, err := c.srv.cfg.Metadata.Store(c.ctx, &metadatapb.StoreRequest{
			User: c.user, MailboxId: sel.id, Uids: sel.uidSet(uids), Op: metadatapb.StoreOp_STORE_ADD, Flags: []string{`\Seen`},
		})
		if err != nil {
			return rpcErr(err)
		}
		for _, st := range resp.Messages {
			sel.reported[st.Uid] = st.Modseq
		}
		if !hasFlags {
			items = append(items, wire.FetchItem{Name: "FLAGS"})
		}
	}

	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	filters, hdrIdx := headerFilters(items)
	stream, err := c.srv.cfg.Metadata.Fetch(ctx, &metadatapb.FetchRequest{
		User: c.user, MailboxId: sel.id, Uids: sel.uidSet(uids), WantMeta: needMeta, WantObjectIds: needIDs,
		ChangedSince:  a.ChangedSince, // RFC 7162 §3.1.4.1; 0 without the modifier
		MetaFields:    metaFieldsIf(needMeta, items),
		RawMeta:       true, // decoded here, once (MessageRecord.meta_raw)
		HeaderFilters: filters,
	})
	if err != nil {
		return rpcErr(err)
	}
	names := fetchNames(items)
	w := fetchWriter{items: items, names: names, hdrIdx: hdrIdx}
	for {
		batch, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return rpcErr(err)
		}
		for _, rec := range batch.Messages {
			if rec.State == nil {
				continue
			}
			seq := sel.seqOf(rec.State.Uid)
			if seq == 0 {
				continue // not in this session's view (yet)
			}
			if rec.MetaRaw != nil {
				rec.Meta = &metadatapb.MessageMeta{}
				if err := proto.Unmarshal(rec.MetaRaw, rec.Meta); err != nil {
					return fmt.Errorf("frontend: message meta of uid %d: %w", rec.State.Uid, err)
				}
			}
			if needMeta && rec.Meta == nil {
				return errors.New("frontend: metadata returned a record without meta")
			}
			if len(rec.HeaderSections) != len(filters) {
				return fmt.Errorf("frontend: metadata answered %d header sections of uid %d, want %d", len(rec.HeaderSections), rec.State.Uid, len(filters))
			}
			if err := c.writeFetch(ctx, seq, rec, &w); err != nil {
				return err
			}
		}
	}
}

// section is a body section opened before its response line starts, so a
// failure (UNKNOWN-CTE, a missing blob) can still become a tagged NO.
type section struct {
	size    int64
	rc      io.ReadCloser
	missing bool   // the part does not exist: an empty string
	mem     []byte // BINARY content read to look for NUL
	binary  bool   // send as literal8
}

// fetchWriter is what writeFetch needs of a FETCH command, computed once
// for all its messages.
type fetchWriter struct {
	items  []wire.FetchItem
	names  []string // response names of the section items (fetchNames)
	hdrIdx []int    // per item, its MessageRecord.header_sections index or -1 (headerFilters)

	// Per-message scratch, reused from one message to the next: a page
	// of a message list is many small responses.
	secs  []*section
	sizes []int64
	mem   []section
}

// scratch returns cleared per-item slices for one message.
func (w *fetchWriter) scratch() ([]*section, []int64) {
	n := len(w.items)
	if len(w.secs) < n {
		w.secs, w.sizes, w.mem = make([]*section, n), make([]int64, n), make([]section, n)
	}
	secs, sizes := w.secs[:n], w.sizes[:n]
	clear(secs)
	clear(sizes)
	return secs, sizes
}

// writeFetch writes one "* seq FETCH (...)" response.
func (c *conn) writeFetch(ctx context.Context, seq uint32, rec *metadatapb.MessageRecord, w *fetchWriter) error {
	items, names := w.items, w.names
	meta := rec.Meta
	var open func(ctx context.Context, off, n int64) (io.ReadCloser, error)
	if meta != nil {
		open = func(ctx context.Context, off, n int64) (io.ReadCloser, error) {
			return c.srv.cfg.Blobs.Open(ctx, meta.BlobId, off, n)
		}
	}
	if err := checkObjectIDs(rec, items); err != nil { // objectid.go
		return err
	}
	secs, sizes := w.scratch()
	defer func() {
		for _, s := range secs {
			if s != nil && s.rc != nil {
				s.rc.Close()
			}
		}
	}()
	for i, it := range items {
		if k := w.hdrIdx[i]; k >= 0 {
			// Filtered by the node; ours to modify.
			b := message.ApplyPartial(rec.HeaderSections[k], it.Partial)
			replaceNUL(b)
			w.mem[i] = section{mem: b}
			secs[i] = &w.mem[i]
			continue
		}
		sec, bin, ok := sectionOf(it)
		if !ok {
			continue
		}
		if it.Name == "BINARY.SIZE[]" {
			n, err := message.BinarySize(ctx, meta, sec, message.Opener(open))
			if errors.Is(err, message.ErrNoSuchPart) {
				n, err = 0, nil
			}
			if err != nil {
				return err
			}
			sizes[i] = n
			continue
		}
		n, rc, err := message.OpenSection(ctx, meta, sec, bin, it.Partial, message.Opener(open))
		if errors.Is(err, message.ErrNoSuchPart) {
			// RFC 9051 leaves the answer open (nstring); like Dovecot,
			// an empty string rather than NIL, which some clients treat
			// as an error (message.ErrNoSuchPart).
			secs[i] = &section{missing: true}
			continue
		}
		if err != nil {
			return err
		}
		s := &section{size: n, rc: rc}
		if !bin {
			s.rc = nulFree{r: rc, c: rc}
		}
		if bin {
			s.binary = true
			if n <= maxInspect {
				buf := make([]byte, n)
				if _, err := io.ReadFull(rc, buf); err != nil {
					rc.Close()
					return err // ErrUnknownCTE surfaces here: NO [UNKNOWN-CTE]
				}
				s.mem = buf
				s.binary = bytes.IndexByte(buf, 0) >= 0
			}
		}
		secs[i] = s
	}

	st := rec.State
	e := c.enc
	e.Raw("* ").Number(uint64(seq)).Raw(" FETCH (")
	for i, it := range items {
		if i > 0 {
			e.SP()
		}
		switch it.Name {
		case "UID":
			e.Raw("UID ").Number(uint64(st.Uid))
		case "FLAGS":
			e.Raw("FLAGS ").Raw(c.flagList(st))
		case "MODSEQ":
			e.Raw("MODSEQ (").Number(st.Modseq).Raw(")")
		case "INTERNALDATE":
			e.Raw("INTERNALDATE ").DateTime(unixIn(meta.InternalDate, meta.InternalDateZone))
		case "SAVEDATE":
			e.Raw("SAVEDATE ")
			if meta.SaveDate == 0 {
				e.Raw("NIL")
			} else {
				e.DateTime(time.Unix(meta.SaveDate, 0).UTC())
			}
		case "RFC822.SIZE":
			e.Raw("RFC822.SIZE ").Number(meta.Size)
		case "ENVELOPE":
			e.Raw("ENVELOPE ").RawBytes(meta.Envelope)
		case "BODYSTRUCTURE":
			e.Raw("BODYSTRUCTURE ").RawBytes(meta.BodyStructure)
		case "BODY":
			e.Raw("BODY ").RawBytes(meta.Body)
		case "PREVIEW":
			e.Raw("PREVIEW ").String(meta.Preview)
		case "EMAILID", "THREADID": // RFC 8474 §5.3
			c.writeObjectIDItem(it.Name, rec)
		case "BINARY.SIZE[]":
			sec, _, _ := sectionOf(it)
			e.Raw("BINARY.SIZE[").Raw(partString(sec.Part)).Raw("] ").Number(uint64(sizes[i]))
		default:
			e.Raw(names[i]).SP()
			s := secs[i]
			switch {
			case s == nil:
				return errors.New("frontend: unhandled fetch item " + it.Name)
			case s.missing:
				e.Raw(`""`)
			case s.mem != nil:
				if err := e.LiteralBytes8(s.mem, s.binary).Err(); err != nil {
					return &fatalError{err: err, silent: true}
				}
			default:
				if err := e.Literal(s.size, s.rc, s.binary); err != nil {
					// The literal is cut: the stream is out of sync.
					c.log.Error("frontend: streaming a body section", "uid", st.Uid, "err", err)
					return &fatalError{err: err, silent: true}
				}
			}
		}
	}
	e.Raw(")").CRLF()
	return nil
}

// nulFree replaces each NUL octet by 0x80 as it reads: a literal cannot
// carry NUL (RFC 9051 §4.3, CHAR8 is %x01-ff; only BINARY's literal8 can),
// and Dovecot sends the same octet in its place. The length is unchanged,
// so the literal's announced size holds.
type nulFree struct {
	r io.Reader
	c io.Closer
}

func (n nulFree) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	replaceNUL(p[:k])
	return k, err
}

func (n nulFree) Close() error { return n.c.Close() }

// replaceNUL replaces each NUL octet of b by 0x80 in place (nulFree).
func replaceNUL(b []byte) {
	for {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return
		}
		b[i] = 0x80
		b = b[i+1:]
	}
}

// sectionOf returns the body section an item reads, whether it is a BINARY
// one, and whether the item reads a section at all.
func sectionOf(it wire.FetchItem) (*wire.Section, bool, bool) {
	sec := it.Section
	if sec == nil {
		sec = &wire.Section{}
	}
	switch it.Name {
	case "BODY[]":
		return sec, false, true
	case "BINARY[]", "BINARY.SIZE[]":
		return sec, true, true
	case "RFC822":
		return &wire.Section{}, false, true
	case "RFC822.HEADER":
		return &wire.Section{Specifier: "HEADER"}, false, true
	case "RFC822.TEXT":
		return &wire.Section{Specifier: "TEXT"}, false, true
	}
	return nil, false, false
}

// responseName is the data item name of a section in a FETCH response
// (RFC 9051 §7.5.2: "BODY[section]<origin>").
func responseName(it wire.FetchItem) string {
	switch it.Name {
	case "RFC822", "RFC822.HEADER", "RFC822.TEXT":
		return it.Name
	}
	sec, _, _ := sectionOf(it)
	var b strings.Builder
	if it.Name == "BINARY[]" {
		b.WriteString("BINARY[")
		b.WriteString(partString(sec.Part))
	} else {
		b.WriteString("BODY[")
		b.WriteString(sectionString(sec))
	}
	b.WriteByte(']')
	if it.Partial != nil {
		b.WriteByte('<')
		b.WriteString(strconv.FormatInt(it.Partial.Offset, 10))
		b.WriteByte('>')
	}
	return b.String()
}

func partString(part []int) string {
	var b strings.Builder
	for i, p := range part {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(p))
	}
	return b.String()
}

func sectionString(s *wire.Section) string {
	if s == nil {
		return ""
	}
	out := partString(s.Part)
	if s.Specifier != "" {
		if out != "" {
			out += "."
		}
		out += s.Specifier
	}
	if strings.HasPrefix(s.Specifier, "HEADER.FIELDS") {
		var enc strings.Builder
		w := wire.NewEncoderSize(&enc, 256)
		w.Raw(" (")
		for i, f := range s.Fields {
			if i > 0 {
				w.SP()
			}
			w.AString(f)
		}
		w.Raw(")")
		w.Flush()
		out += enc.String()
	}
	return out
}

// unixIn is a unix time in a fixed zone offset (seconds east of UTC).
func unixIn(sec int64, zone int32) time.Time {
	return time.Unix(sec, 0).In(time.FixedZone("", int(zone)))
}
