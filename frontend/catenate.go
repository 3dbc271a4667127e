package frontend

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math"
	"strings"

	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/internal/imapurl"
	"github.com/postbus/postbus/frontend/internal/message"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 4469 CATENATE: an APPEND message built from TEXT literals and the
// octets of messages or body parts named by IMAP URLs (RFC 5092), in the
// authenticated user's own mailboxes only. The parts are streamed, one
// after the other, into the one delivery path (deliver.Prepare: spool,
// analyse, blob put), so the result gets ENVELOPE, BODYSTRUCTURE, PREVIEW,
// quota and APPENDLIMIT treatment like any APPEND, and MULTIAPPEND
// atomicity holds: nothing is committed before every message was built.

// catCaps are advertised with CATENATE: URL-PARTIAL (defined by RFC 5550,
// the Lemonade profile) says ";PARTIAL=" (RFC 5092 §6) works in CATENATE
// URLs. URLAUTH (RFC 4467) is not needed by
// RFC 4469 and not implemented: URLAUTH URLs get NO [BADURL].
var catCaps = []string{"CATENATE", "URL-PARTIAL"}

// maxCatParts bounds the parts of one CATENATE message: each URL costs
// metadata RPCs, and no client composes a message of more pieces.
const maxCatParts = 256

// badURL is the RFC 4469 §4.1 refusal of one URL, naming it.
func badURL(url, why string) error {
	return no("BADURL "+urlRespText(url), why)
}

// urlRespText makes url fit url-resp-text (RFC 4469 §5: TEXT-CHAR except
// "]"), percent-encoding what does not: a URL is percent-encoded text
// already, so the client still recognises the one it sent.
func urlRespText(url string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(url); i++ {
		c := url[i]
		if c == ']' || c < 0x20 || c >= 0x7f {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() == 0 {
		return `""`
	}
	return b.String()
}

// catenator resolves the URLs of one APPEND command. It remembers the
// mailboxes it looked up, so a MULTIAPPEND naming one mailbox many times
// asks the metadata node once.
type catenator struct {
	c         *conn
	mailboxes map[string]*metadatapb.Mailbox
}

func newCatenator(c *conn) *catenator {
	return &catenator{c: c, mailboxes: make(map[string]*metadatapb.Mailbox)}
}

// ingestCatenate builds and stores one CATENATE message, as ingest does for
// a literal. Errors: errClientRead joined with the cause when the client
// connection failed (fatal); otherwise the refusal to answer (NO [BADURL],
// NO [TOOBIG], BAD for a malformed part, or a store error for mapError).
func (c *conn) ingestCatenate(m *wire.AppendMessage, cat *catenator) (*metadatapb.NewMessage, error) {
	r := &catReader{cat: cat, budget: c.srv.cfg.Limits.MaxLiteral}
	defer r.closeCur()
	p, err := c.srv.deliver.Prepare(c.ctx, r)
	switch {
	case err == nil:
		return p.NewMessage(m.Flags, m.Date, false), nil
	case r.clientErr != nil:
		return nil, errors.Join(errClientRead, r.clientErr)
	case r.refusal != nil:
		return nil, r.refusal
	case errors.Is(err, deliver.ErrSpool):
		c.log.Error("frontend: spooling CATENATE", "err", err)
		return nil, no("SERVERBUG", "cannot buffer the message")
	}
	return nil, err
}

// catReader is the catenated message: it reads the CATENATE parts from
// the decoder as it goes and yields their octets in order, TEXT from the
// client connection, URL parts from the blob store.
type catReader struct {
	cat    *catenator
	budget int64 // octets the message may still grow by (APPENDLIMIT)
	parts  int
	done   bool // the list's ")" was read

	cur    io.Reader
	closer io.Closer // of a URL part
	text   bool      // cur is a TEXT literal

	clientErr error // reading from the client failed: the connection is done
	refusal   error // the tagged answer decided while reading parts
}

func (r *catReader) Read(p []byte) (int, error) {
	for {
		if r.cur != nil {
			n, err := r.cur.Read(p)
			if err == io.EOF {
				r.closeCur()
				if n > 0 {
					return n, nil
				}
				continue
			}
			if err != nil && r.text {
				r.clientErr = err
			}
			if n > 0 || err != nil || len(p) == 0 {
				return n, err
			}
			continue
		}
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
}

func (r *catReader) closeCur() {
	if r.closer != nil {
		r.closer.Close()
	}
	r.cur, r.closer, r.text = nil, nil, false
}

// next reads the next part and makes it current, or notes the end.
func (r *catReader) next() error {
	part, err := r.cat.c.dec.ReadCatPart()
	if err != nil {
		var se *wire.SyntaxError
		if errors.As(err, &se) {
			r.refusal = appendSyntaxErr(se)
			return r.refusal
		}
		r.clientErr = err
		return err
	}
	if part == nil {
		r.done = true
		return nil
	}
	r.parts++
	if r.parts > maxCatParts {
		r.refusal = no("LIMIT", "too many parts in one CATENATE")
		return r.refusal
	}
	if part.Text {
		// Refused before its continuation: the client sends nothing more.
		if part.Size > r.budget {
			r.refusal = catTooBig()
			return r.refusal
		}
		r.budget -= part.Size
		r.cur, r.text = part.Body, true
		return nil
	}
	n, rc, err := r.cat.open(part.URL)
	if err != nil {
		r.refusal = err
		return err
	}
	if n > r.budget {
		rc.Close()
		r.refusal = catTooBig()
		return r.refusal
	}
	r.budget -= n
	// The blob store yields exactly n octets unless it fails; the limit
	// keeps the budget honest either way.
	r.cur, r.closer = io.LimitReader(rc, n), rc
	return nil
}

// RFC 4469 §4.2: TOOBIG when the result would exceed the server's limit.
func catTooBig() error {
	return no("TOOBIG", "catenated message larger than APPENDLIMIT")
}

// open resolves one URL part (RFC 4469 §3, RFC 5092 §6) to the octets of
// UID FETCH <uid> BODY.PEEK[<section>]<<partial>>: \Seen is not set.
// Anything that does not name an existing message or part of the user's
// own mailboxes is NO [BADURL]; store failures are returned for mapError.
func (k *catenator) open(raw string) (int64, io.ReadCloser, error) {
	c := k.c
	u, err := imapurl.Parse(raw)
	switch {
	case err != nil:
		return 0, nil, badURL(raw, "invalid IMAP URL")
	case u.URLAuth != "":
		return 0, nil, badURL(raw, "URLAUTH is not supported")
	case u.Server != nil && !c.ownServer(u.Server):
		return 0, nil, badURL(raw, "URL names another user or server")
	case u.UID == 0:
		// A ";SECTION=" or ";PARTIAL=" reference needs a base URL naming
		// a message, which APPEND never has (RFC 4469 §3).
		return 0, nil, badURL(raw, "URL names no message")
	}
	sec, err := wire.ParseSection(u.Section)
	if err != nil {
		return 0, nil, badURL(raw, "invalid section")
	}

	var mbID uint64
	var validity uint32
	if u.Mailbox == "" {
		// RFC 4469 §3: the base URL names the selected mailbox, if any.
		if c.sel == nil {
			return 0, nil, badURL(raw, "URL names no mailbox and none is selected")
		}
		mbID, validity = c.sel.id, c.sel.uidValidity
	} else {
		mb, err := k.mailbox(normalizeName(u.Mailbox))
		if errors.Is(err, base.ErrNoSuchMailbox) || errors.Is(err, base.ErrInvalidName) {
			return 0, nil, badURL(raw, "no such mailbox")
		}
		if err != nil {
			return 0, nil, err
		}
		mbID, validity = mb.Id, mb.UidValidity
	}
	// RFC 5092 §5, §6: a stale URL names nothing.
	if u.UIDValidity != 0 && u.UIDValidity != validity {
		return 0, nil, badURL(raw, "UIDVALIDITY does not match")
	}
	meta, err := k.message(mbID, u.UID)
	if err != nil {
		return 0, nil, err
	}
	if meta == nil {
		return 0, nil, badURL(raw, "no such message")
	}

	var partial *wire.Partial
	if p := u.Partial; p != nil {
		count := int64(p.Length)
		if count == 0 {
			count = math.MaxInt64 // to the end of the section
		}
		partial = &wire.Partial{Offset: int64(p.Offset), Count: count}
	}
	open := func(ctx context.Context, off, n int64) (io.ReadCloser, error) {
		return c.srv.cfg.Blobs.Open(ctx, meta.BlobId, off, n)
	}
	n, rc, err := message.OpenSection(c.ctx, meta, sec, false, partial, message.Opener(open))
	if errors.Is(err, message.ErrNoSuchPart) || errors.Is(err, message.ErrInvalidSection) {
		return 0, nil, badURL(raw, "no such body part")
	}
	return n, rc, err
}

// ownServer reports whether an absolute URL's server part names this
// session: its user, and this server by its configured name or the name
// the client asked for in TLS SNI. Anything else (another user, another
// host, anonymous) is outside RFC 4469 §3's scope.
func (c *conn) ownServer(s *imapurl.Server) bool {
	if s.User != c.user {
		return false
	}
	if strings.EqualFold(s.Host, c.srv.cfg.ServerName) {
		return true
	}
	if tc, ok := c.nc.(*tls.Conn); ok {
		sni := tc.ConnectionState().ServerName
		return sni != "" && strings.EqualFold(s.Host, sni)
	}
	return false
}

// mailbox looks a mailbox of the user up by its metadata name.
func (k *catenator) mailbox(name string) (*metadatapb.Mailbox, error) {
	if mb, ok := k.mailboxes[name]; ok {
		return mb, nil
	}
	c := k.c
	mb, err := c.srv.cfg.Metadata.GetMailbox(c.ctx, &metadatapb.GetMailboxRequest{User: c.user, Name: name})
	if err != nil {
		return nil, rpcErr(err)
	}
	k.mailboxes[name] = mb
	return mb, nil
}

// message returns the metadata of one message, nil when the mailbox has
// no such UID (or no longer exists).
func (k *catenator) message(mailboxID uint64, uid uint32) (*metadatapb.MessageMeta, error) {
	c := k.c
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	stream, err := c.srv.cfg.Metadata.Fetch(ctx, &metadatapb.FetchRequest{
		User: c.user, MailboxId: mailboxID, WantMeta: true,
		Uids: &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: uid, Stop: uid}}},
	})
	if err != nil {
		return nil, catFetchErr(err)
	}
	for {
		batch, err := stream.Recv()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, catFetchErr(err)
		}
		for _, rec := range batch.Messages {
			if rec.State != nil && rec.State.Uid == uid && rec.Meta != nil {
				return rec.Meta, nil
			}
		}
	}
}

// catFetchErr: a mailbox deleted since it was looked up names nothing.
func catFetchErr(err error) error {
	err = rpcErr(err)
	if errors.Is(err, base.ErrNoSuchMailbox) {
		return nil
	}
	return err
}
