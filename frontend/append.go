package frontend

import (
	"errors"
	"io"
	"strconv"

	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 9051 §6.3.12 APPEND, RFC 3502 MULTIAPPEND, RFC 4315 APPENDUID, RFC
// 4469 CATENATE (catenate.go). Each body is spooled, analysed and stored in the blob store; then one Append
// RPC commits all of them atomically. OK only after both (DESIGN.md "Body
// first, then metadata").
func (c *conn) cmdAppend(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.AppendArgs)
	if !ok {
		c.dec.SkipCommand()
		return bad("", "APPEND expects a mailbox and a message")
	}
	name, err := c.mailboxFromWire(a.Mailbox)
	if err != nil {
		return c.refuseAppend(err)
	}
	mb, err := c.srv.cfg.Metadata.GetMailbox(c.ctx, &metadatapb.GetMailboxRequest{User: c.user, Name: name})
	if err != nil {
		err = rpcErr(err)
		if errors.Is(err, base.ErrNoSuchMailbox) {
			// Refused before the continuation: the client does not send
			// the literal (RFC 9051 §6.3.12 TRYCREATE).
			return c.refuseAppend(no("TRYCREATE", "mailbox does not exist"))
		}
		return c.refuseAppend(err)
	}

	var msgs []*metadatapb.NewMessage
	var cat *catenator // URL resolution for CATENATE messages (catenate.go)
	for {
		m, err := c.dec.ReadAppendMessage()
		if err != nil {
			var se *wire.SyntaxError
			if errors.As(err, &se) {
				return appendSyntaxErr(se)
			}
			return fatal(err)
		}
		if m == nil {
			break
		}
		if len(msgs) == maxAppendMessages {
			return c.refuseAppend(no("LIMIT", "too many messages in one APPEND"))
		}
		var nm *metadatapb.NewMessage
		var guard *headerScan
		if m.Catenate {
			// The header of a CATENATE result comes from the user's own
			// stored messages and TEXT parts; it is not scanned for
			// 8-bit octets (RFC 6855 §4 speaks of APPEND data).
			if cat == nil {
				cat = newCatenator(c)
			}
			nm, err = c.ingestCatenate(m, cat)
		} else {
			if guard, err = c.appendUTF8Guard(m); err != nil { // RFC 6855 §4 (utf8accept.go)
				return c.refuseAppend(err)
			}
			nm, err = c.ingest(m)
		}
		if err != nil {
			if !errors.Is(err, errClientRead) {
				return c.refuseAppend(err)
			}
			return fatal(err)
		}
		if err := guard.verdict(); err != nil {
			return c.refuseAppend(err)
		}
		msgs = append(msgs, nm)
	}
	if len(msgs) == 0 {
		return bad("", "APPEND without a message")
	}
	resp, err := c.srv.cfg.Metadata.Append(c.ctx, &metadatapb.AppendRequest{User: c.user, MailboxId: mb.Id, Messages: msgs})
	if err != nil {
		err = rpcErr(err)
		if errors.Is(err, base.ErrNoSuchMailbox) {
			return no("TRYCREATE", "mailbox does not exist")
		}
		return err
	}
	if c.sel != nil && c.sel.id == mb.Id && c.sub != nil {
		c.sub.markDirty() // RFC 9051 §6.3.12: tell of the new message
	}
	c.noteOwnNew(mb.Id, resp.Uids) // RFC 5465 §5.2 (notify_push.go)
	return okCode("APPENDUID "+strconv.FormatUint(uint64(resp.UidValidity), 10)+" "+formatUIDs(resp.Uids), "APPEND completed")
}

// appendSyntaxErr answers a message the decoder refused (it has skipped
// the rest of the command): NO [TOOBIG] for a literal over its limit
// (RFC 7889 §4), BAD otherwise.
func appendSyntaxErr(se *wire.SyntaxError) error {
	if se.Code == "TOOBIG" {
		return no("TOOBIG", se.Msg)
	}
	return bad(se.Code, se.Msg)
}

// maxAppendMessages bounds a MULTIAPPEND: all of its metadata travels in
// one Append RPC (RFC 3502 atomicity), which must stay a sane size.
const maxAppendMessages = 1000

// refuseAppend discards the rest of the APPEND and returns err.
func (c *conn) refuseAppend(err error) error {
	if serr := c.dec.SkipCommand(); serr != nil {
		var se *wire.SyntaxError
		if !errors.As(serr, &se) {
			return fatal(serr)
		}
	}
	return err
}

// errClientRead marks a failure to read the message from the client.
var errClientRead = errors.New("frontend: reading APPEND literal")

// ingest stores one message body through the one delivery path (spool,
// analyse, blob put: package deliver) and returns its record for the
// atomic Append of the whole command.
func (c *conn) ingest(m *wire.AppendMessage) (*metadatapb.NewMessage, error) {
	body := &recordingReader{r: m.Body}
	p, err := c.srv.deliver.Prepare(c.ctx, body)
	switch {
	case err == nil:
		return p.NewMessage(m.Flags, m.Date, false), nil
	case body.err != nil:
		// The client stopped sending mid-literal: the connection is
		// unusable (we cannot find the next command).
		return nil, errors.Join(errClientRead, body.err)
	case errors.Is(err, deliver.ErrSpool):
		c.log.Error("frontend: spooling APPEND", "err", err)
		return nil, no("SERVERBUG", "cannot buffer the message")
	}
	return nil, err
}

// recordingReader remembers the error of the reader it wraps, so a failure
// of the client can be told from one of the store.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
