package frontend

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// METADATA (RFC 5464) and LIST-METADATA (RFC 9590). Annotations live on
// the metadata node with the user's mailboxes (Metadata.GetMetadata and
// SetMetadata): keyed by mailbox id, so they follow RENAME, go with
// DELETE, and are copied by RENAME INBOX (§4.1).
//
// Access (§3.3): postbus has no ACLs, so a user reaches only their own
// mailboxes, and both /private and /shared entries of a mailbox are the
// user's alone (a /shared entry is "shared" with nobody else). Server
// annotations (mailbox ""): /private entries are the user's own, stored
// on the node; /shared entries are read-only, the same for every user,
// and come from the frontend's Config (AdminContact for /shared/admin,
// ServerComment for /shared/comment, §3.2.1.1); SETMETADATA of a server
// /shared entry is refused with NO [NOPERM] (§3.3: "servers MAY restrict
// the creation of ... shared server annotations").
//
// Unsolicited METADATA responses (§4.4.2) are not sent: they are
// optional, and ENABLE METADATA is accepted but not reported as enabled,
// as RFC 5161 §3.1 has for extensions the server does not turn on.

// metadataCaps: both mailbox and server annotations (RFC 5464 §1), and
// the METADATA return option of LIST (RFC 9590 §3).
var metadataCaps = []string{"METADATA", "METADATA-SERVER", "LIST-METADATA"}

// maxAnnotationValue is the metadata node's limit on a value
// (internal/state.MaxAnnotationValue). The node checks again and reports
// its own limit; the frontend checks first so that a value is refused
// before it crosses the network, and lowers the limit to the largest
// literal its decoder reads (Limits.MaxSmallLiteral).
const maxAnnotationValue = 64 << 10

// metadataBatch is the most mailboxes one GetMetadata asks about (the
// node's bound), for LIST RETURN (METADATA) over many mailboxes.
const metadataBatch = 256

// valueLimit is the MAXSIZE this frontend announces (RFC 5464 §4.3).
func (c *conn) valueLimit() int {
	return min(maxAnnotationValue, c.srv.cfg.Limits.MaxSmallLiteral)
}

// cmdGetMetadata is GETMETADATA (RFC 5464 §4.2): one METADATA response
// with every entry found (NIL for a requested entry without a value), and
// [METADATA LONGENTRIES n] when MAXSIZE left values out (§4.2.1).
func (c *conn) cmdGetMetadata(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.GetMetadataArgs)
	if !ok {
		return bad("", "GETMETADATA expects a mailbox and entries")
	}
	entries, err := canonicalEntries(a.Entries)
	if err != nil {
		return err
	}
	name, err := c.annotatedMailbox(a.Mailbox)
	if err != nil {
		return err
	}
	var found []*metadataEntry
	var longest uint64
	nodeEntries := entries
	if name == "" {
		// The server's /shared entries are the frontend's configuration.
		nodeEntries = nil
		for _, e := range entries {
			if strings.HasPrefix(e, base.SharedPrefix) {
				got, l := c.serverShared(e, &a.MetadataRequest)
				found, longest = append(found, got...), max(longest, l)
			} else {
				nodeEntries = append(nodeEntries, e)
			}
		}
	}
	if len(nodeEntries) > 0 {
		req := metadataRequest(&a.MetadataRequest, nodeEntries)
		req.User, req.Mailboxes = c.user, []string{name}
		resp, err := c.srv.cfg.Metadata.GetMetadata(c.ctx, req)
		if err != nil {
			return rpcErr(err)
		}
		for _, mm := range resp.Mailboxes {
			for _, e := range mm.Entries {
				found = append(found, &metadataEntry{name: e.Name, value: e.Value, nil: e.Nil})
			}
		}
		longest = max(longest, resp.LongestSkipped)
	}
	c.writeMetadata(name, found)
	return longEntries(longest, "GETMETADATA")
}

// cmdSetMetadata is SETMETADATA (RFC 5464 §4.3): all entries are set or
// none; NO [METADATA MAXSIZE n] for a value over the limit, NO [METADATA
// TOOMANY] when the mailbox or the user has too many annotations.
func (c *conn) cmdSetMetadata(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.SetMetadataArgs)
	if !ok {
		return bad("", "SETMETADATA expects a mailbox and entry values")
	}
	limit := c.valueLimit()
	if a.ValueTooLarge {
		return no(fmt.Sprintf("METADATA MAXSIZE %d", limit), "annotation value too large")
	}
	name, err := c.annotatedMailbox(a.Mailbox)
	if err != nil {
		return err
	}
	req := &metadatapb.SetMetadataRequest{User: c.user, Mailbox: name}
	for _, ev := range a.Entries {
		e, err := base.CanonicalEntry(ev.Entry)
		if err != nil {
			return bad("", err.Error())
		}
		if name == "" && strings.HasPrefix(e, base.SharedPrefix) {
			return no("NOPERM", "shared server annotations are set by the administrator")
		}
		if !ev.Nil && len(ev.Value) > limit {
			return no(fmt.Sprintf("METADATA MAXSIZE %d", limit), "annotation value too large")
		}
		req.Entries = append(req.Entries, &metadatapb.MetadataEntry{Name: e, Value: ev.Value, Nil: ev.Nil})
	}
	resp, err := c.srv.cfg.Metadata.SetMetadata(c.ctx, req)
	if err != nil {
		return rpcErr(err)
	}
	switch resp.Refusal {
	case metadatapb.MetadataRefusal_METADATA_MAXSIZE:
		return no(fmt.Sprintf("METADATA MAXSIZE %d", min(uint64(limit), resp.MaxSize)), "annotation value too large")
	case metadatapb.MetadataRefusal_METADATA_TOOMANY:
		return no("METADATA TOOMANY", "too many annotations")
	}
	return nil
}

// listMetadata answers LIST's METADATA return option (RFC 9590 §3) for
// the mailboxes of names: their requested annotations by name (and the
// LONGENTRIES size), fetched in batches before the LIST responses are
// written, so that each mailbox's METADATA follows its LIST line.
// Mailboxes deleted meanwhile are left out.
func (c *conn) listMetadata(r *wire.MetadataRequest, entries, names []string) (map[string][]*metadataEntry, uint64, error) {
	out := make(map[string][]*metadataEntry, len(names))
	var longest uint64
	for len(names) > 0 {
		batch := names[:min(len(names), metadataBatch)]
		names = names[len(batch):]
		req := metadataRequest(r, entries)
		req.User, req.Mailboxes, req.SkipMissing = c.user, batch, true
		resp, err := c.srv.cfg.Metadata.GetMetadata(c.ctx, req)
		if err != nil {
			return nil, 0, rpcErr(err)
		}
		for _, mm := range resp.Mailboxes {
			for _, e := range mm.Entries {
				out[mm.Mailbox] = append(out[mm.Mailbox], &metadataEntry{name: e.Name, value: e.Value, nil: e.Nil})
			}
		}
		longest = max(longest, resp.LongestSkipped)
	}
	return out, longest, nil
}

// metadataEntry is one entry of a METADATA response.
type metadataEntry struct {
	name  string
	value []byte
	nil   bool
}

// writeMetadata writes "* METADATA mailbox (entry value ...)" (RFC 5464
// §4.4.1); nothing when every value was left out by MAXSIZE.
func (c *conn) writeMetadata(mailbox string, entries []*metadataEntry) {
	if len(entries) == 0 {
		return
	}
	c.enc.Raw("* METADATA ")
	if mailbox == "" {
		c.enc.String("")
	} else {
		c.enc.AString(c.mailboxToWire(mailbox))
	}
	c.enc.Raw(" (")
	for i, e := range entries {
		if i > 0 {
			c.enc.SP()
		}
		c.enc.AString(e.name).SP()
		switch {
		case e.nil:
			c.enc.Raw("NIL")
		case bytes.IndexByte(e.value, 0) >= 0:
			// Only a literal8 can carry NUL (value = nstring / literal8).
			c.enc.Literal(int64(len(e.value)), bytes.NewReader(e.value), true)
		default:
			c.enc.String(string(e.value))
		}
	}
	c.enc.Raw(")").CRLF()
}

// serverShared answers a server /shared entry from the configuration:
// /shared/admin and /shared/comment, or NIL.
func (c *conn) serverShared(e string, r *wire.MetadataRequest) ([]*metadataEntry, uint64) {
	conf := [...]struct{ name, v string }{{"/shared/admin", c.srv.cfg.AdminContact}, {"/shared/comment", c.srv.cfg.ServerComment}}
	var out []*metadataEntry
	var longest uint64
	found := false
	for _, kv := range conf {
		name, v := kv.name, kv.v
		if v == "" {
			continue
		}
		below, ok := strings.CutPrefix(name, e+"/")
		match := name == e || (ok && (r.Depth == wire.MetadataDepthInfinity || (r.Depth == wire.MetadataDepth1 && !strings.Contains(below, "/"))))
		if !match {
			continue
		}
		found = true
		if r.HasMaxSize && len(v) > int(r.MaxSize) {
			longest = max(longest, uint64(len(v)))
			continue
		}
		out = append(out, &metadataEntry{name: name, value: []byte(v)})
	}
	if !found {
		out = append(out, &metadataEntry{name: e, nil: true})
	}
	return out, longest
}

// annotatedMailbox decodes the mailbox argument: "" is the server.
func (c *conn) annotatedMailbox(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	return c.mailboxFromWire(raw)
}

// canonicalEntries checks entry names (RFC 5464 §3.2: BAD for an invalid
// one), lower-cases them and drops repeats.
func canonicalEntries(raw []string) ([]string, error) {
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		e, err := base.CanonicalEntry(r)
		if err != nil {
			return nil, bad("", err.Error())
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// metadataRequest carries the options of a GETMETADATA or LIST RETURN
// (METADATA) to the node.
func metadataRequest(r *wire.MetadataRequest, entries []string) *metadatapb.GetMetadataRequest {
	req := &metadatapb.GetMetadataRequest{Entries: entries, MaxSize: uint64(r.MaxSize), HasMaxSize: r.HasMaxSize}
	switch r.Depth {
	case wire.MetadataDepth1:
		req.Depth = metadatapb.MetadataDepth_METADATA_DEPTH_1
	case wire.MetadataDepthInfinity:
		req.Depth = metadatapb.MetadataDepth_METADATA_DEPTH_INFINITY
	}
	return req
}

// longEntries is the tagged OK of a command whose MAXSIZE left values
// out: [METADATA LONGENTRIES n] with the longest (RFC 5464 §4.2.1).
func longEntries(longest uint64, name string) error {
	if longest == 0 {
		return nil
	}
	return okCode(fmt.Sprintf("METADATA LONGENTRIES %d", longest), name+" completed")
}
