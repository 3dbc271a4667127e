package frontend

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend/internal/message"
	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 9051 §6.3.12 APPEND, RFC 3502 MULTIAPPEND, RFC 4315 APPENDUID. Each
// body is spooled, analysed and stored in the blob store; then one Append
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
	for {
		m, err := c.dec.ReadAppendMessage()
		if err != nil {
			var se *wire.SyntaxError
			if errors.As(err, &se) {
				if se.Code == "TOOBIG" {
					return no("TOOBIG", se.Msg) // RFC 7889 §4
				}
				return bad(se.Code, se.Msg)
			}
			return fatal(err)
		}
		if m == nil {
			break
		}
		if len(msgs) == maxAppendMessages {
			return c.refuseAppend(no("LIMIT", "too many messages in one APPEND"))
		}
		nm, err := c.ingest(m)
		if err != nil {
			if !errors.Is(err, errClientRead) {
				return c.refuseAppend(err)
			}
			return fatal(err)
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
	return okCode("APPENDUID "+strconv.FormatUint(uint64(resp.UidValidity), 10)+" "+formatUIDs(resp.Uids), "APPEND completed")
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

// ingest spools, analyses and stores one message body.
func (c *conn) ingest(m *wire.AppendMessage) (*metadatapb.NewMessage, error) {
	var sp spool
	defer sp.close()
	if err := sp.fill(m.Body); err != nil {
		if errors.Is(err, errSpoolWrite) {
			c.log.Error("frontend: spooling APPEND", "err", err)
			return nil, no("SERVERBUG", "cannot buffer the message")
		}
		return nil, errors.Join(errClientRead, err)
	}
	meta, err := message.Analyze(sp.readerAt(), sp.size)
	if err != nil {
		return nil, err
	}
	id, n, err := c.srv.cfg.Blobs.Put(c.ctx, sp.reader(), c.srv.cfg.Limits.MaxLiteral)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	date := m.Date
	if date.IsZero() {
		date = now
	}
	_, off := date.Zone()
	meta.BlobId = id
	meta.Size = uint64(n)
	meta.InternalDate = date.Unix()
	meta.InternalDateZone = int32(off)
	meta.SaveDate = now.Unix()
	flags := make([]string, 0, len(m.Flags))
	for _, f := range m.Flags {
		if strings.EqualFold(f, `\Recent`) {
			continue
		}
		flags = append(flags, canonicalFlag(f))
	}
	return &metadatapb.NewMessage{Meta: meta, Flags: flags}, nil
}
