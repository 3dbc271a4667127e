package wire

import (
	"errors"
	"io"
	"strings"
)

// The METADATA extension's commands (RFC 5464 §4.2, §4.3, ABNF in §5) and
// the METADATA return option of LIST (RFC 9590). They are registered by
// this file's init, which runs after commands.go's. Entry names are only
// read here (entry = astring); their RFC 5464 §3.2 rules are checked by
// the session, which answers BAD for an invalid one.

// MetadataDepth is the DEPTH option of GETMETADATA (RFC 5464 §4.2.2).
type MetadataDepth int

const (
	MetadataDepth0        MetadataDepth = iota // the entry only (the default)
	MetadataDepth1                             // and its children
	MetadataDepthInfinity                      // and everything below it
)

// MetadataRequest is what GETMETADATA and LIST RETURN (METADATA ...)
// ask for: entry names as sent, and the options.
type MetadataRequest struct {
	Entries    []string
	MaxSize    uint32 // MAXSIZE (RFC 5464 §4.2.1), if HasMaxSize
	HasMaxSize bool
	Depth      MetadataDepth
}

// GetMetadataArgs is GETMETADATA [SP options] SP mailbox SP entries.
// Mailbox is raw, "" for the server's annotations.
type GetMetadataArgs struct {
	Mailbox string
	MetadataRequest
}

// SetMetadataArgs is SETMETADATA SP mailbox SP entry-values. Mailbox is
// raw, "" for the server's annotations.
//
// ValueTooLarge reports a value literal longer than Limits.MaxSmallLiteral:
// the decoder did not read it (a synchronising literal's client is still
// waiting for a continuation) or read and discarded it, skipped the rest
// of the command, and Entries is incomplete. The session must answer
// NO [METADATA MAXSIZE n] (RFC 5464 §4.3) and change nothing.
type SetMetadataArgs struct {
	Mailbox       string
	Entries       []MetadataValue
	ValueTooLarge bool
}

// MetadataValue is one entry-value: value = nstring / literal8. Nil is
// the NIL that deletes the entry; Value may hold any octet when it came in
// a literal8.
type MetadataValue struct {
	Entry string
	Value []byte
	Nil   bool
}

// maxMetadataEntries bounds the entries of one command: far above the
// annotations one mailbox may hold (metadata/internal/state).
const maxMetadataEntries = 256

// errValueTooLarge is a value literal over MaxSmallLiteral, turned into
// SetMetadataArgs.ValueTooLarge by parseSetMetadata.
var errValueTooLarge = errors.New("wire: metadata value too large")

func init() {
	commands["GETMETADATA"] = parseGetMetadata
	commands["SETMETADATA"] = parseSetMetadata
}

// parseGetMetadata: GETMETADATA [SP getmetadata-options] SP mailbox SP
// entries, entries = entry / "(" entry *(SP entry) ")". The options come
// first (RFC 5464 §5); a mailbox never starts with "(". The options are
// also accepted after the mailbox, where the drafts of RFC 5464 had them
// and where clients still send them (go-imap v2, Cyrus accepts both): a
// list there is options when it starts with an option name, since entry
// names start with "/".
func parseGetMetadata(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	args := &GetMetadataArgs{}
	haveOptions := false
	options := func() error {
		seen := map[string]bool{}
		haveOptions = true
		if err := d.list(true, func() error { return d.metadataOption(&args.MetadataRequest, seen) }); err != nil {
			return err
		}
		return d.sp()
	}
	if d.peekIs('(') {
		if err := options(); err != nil {
			return err
		}
	}
	var err error
	if args.Mailbox, err = d.astring(); err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	if !haveOptions && d.atOptionList() {
		if err := options(); err != nil {
			return err
		}
	}
	if !d.peekIs('(') {
		e, err := d.astring()
		if err != nil {
			return err
		}
		args.Entries = []string{e}
		cmd.Args = args
		return nil
	}
	err = d.list(true, func() error {
		if len(args.Entries) == maxMetadataEntries {
			return d.errf("Too many entries")
		}
		e, err := d.astring()
		args.Entries = append(args.Entries, e)
		return err
	})
	if err != nil {
		return err
	}
	cmd.Args = args
	return nil
}

// metadataOption reads one getmetadata-option: "MAXSIZE" SP number or
// "DEPTH" SP ("0" / "1" / "infinity"). Any other option is refused: none
// is defined, and a tagged-ext-val could hide anything.
func (d *Decoder) metadataOption(r *MetadataRequest, seen map[string]bool) error {
	name, err := d.keyword()
	if err != nil {
		return err
	}
	if name != "MAXSIZE" && name != "DEPTH" {
		return d.errf("Unknown METADATA option " + name)
	}
	if seen[name] {
		return d.errf("Duplicate METADATA option " + name)
	}
	seen[name] = true
	if err := d.sp(); err != nil {
		return err
	}
	if name == "MAXSIZE" {
		r.MaxSize, err = d.number()
		r.HasMaxSize = true
		return err
	}
	v, err := d.keyword()
	if err != nil {
		return err
	}
	switch v {
	case "0":
		r.Depth = MetadataDepth0
	case "1":
		r.Depth = MetadataDepth1
	case "INFINITY":
		r.Depth = MetadataDepthInfinity
	default:
		return d.errf("DEPTH must be 0, 1 or infinity")
	}
	return nil
}

// atOptionList reports whether a list of GETMETADATA options starts at
// d.pos: "(" and then MAXSIZE or DEPTH.
func (d *Decoder) atOptionList() bool {
	if !d.peekIs('(') {
		return false
	}
	start := d.pos
	d.pos++
	kw := strings.ToUpper(d.span(isAtomChar))
	d.pos = start
	return kw == "MAXSIZE" || kw == "DEPTH"
}

// parseSetMetadata: SETMETADATA SP mailbox SP "(" entry SP value
// *(SP entry SP value) ")".
func parseSetMetadata(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	args := &SetMetadataArgs{}
	var err error
	if args.Mailbox, err = d.astring(); err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	err = d.list(true, func() error {
		if len(args.Entries) == maxMetadataEntries {
			return d.errf("Too many entries")
		}
		var ev MetadataValue
		var err error
		if ev.Entry, err = d.astring(); err != nil {
			return err
		}
		if err := d.sp(); err != nil {
			return err
		}
		if ev.Value, ev.Nil, err = d.metadataValue(); err != nil {
			return err
		}
		args.Entries = append(args.Entries, ev)
		return nil
	})
	if errors.Is(err, errValueTooLarge) {
		// Skip the literal (unless the client waits for a continuation)
		// and the rest of the command, then let the session say NO.
		if err := d.resync(); err != nil {
			return err
		}
		args.ValueTooLarge = true
		cmd.Args = args
		return nil
	}
	if err != nil {
		return err
	}
	cmd.Args = args
	return nil
}

// metadataValue reads value = nstring / literal8 (RFC 5464 §5).
func (d *Decoder) metadataValue() (value []byte, isNil bool, err error) {
	switch {
	case d.peekIs('"'):
		s, err := d.quoted()
		return []byte(s), false, err
	case d.atString():
		v, err := d.valueLiteral()
		return v, false, err
	}
	a, err := d.atom()
	if err != nil || !strings.EqualFold(a, "NIL") {
		return nil, false, d.errf("Expected a string, a literal8 or NIL")
	}
	return nil, true, nil
}

// valueLiteral reads a literal or literal8 value at d.pos, then the next
// line chunk. Unlike other small literals a literal8 is allowed, and with
// it NUL octets (RFC 3516 via RFC 5464's value); a literal over
// MaxSmallLiteral is errValueTooLarge, left unread.
func (d *Decoder) valueLiteral() ([]byte, error) {
	h, err := d.parseLitHeader()
	if err != nil {
		return nil, err
	}
	if h.size > int64(d.lim.MaxSmallLiteral) {
		return nil, errValueTooLarge
	}
	budget := int64(litBudgetFactor*d.lim.MaxSmallLiteral - d.litUsed)
	if h.size > budget || (!h.sync && h.size > d.lim.MaxNonSyncLiteral) {
		return nil, d.tooBig()
	}
	if h.sync {
		if err := d.continuation(); err != nil {
			return nil, err
		}
	}
	buf := make([]byte, h.size)
	if _, err := io.ReadFull(d.r, buf); err != nil {
		return nil, unexpectedEOF(err)
	}
	d.litUsed += int(h.size)
	if err := d.readChunk(); err != nil {
		return nil, err
	}
	if !h.binary {
		for _, c := range buf {
			if c == 0 {
				return nil, d.errf("NUL in literal (send a literal8)")
			}
		}
	}
	return buf, nil
}

// listMetadata reads the argument of LIST's METADATA return option
// (RFC 9590): "(" followed by entries and the GETMETADATA options MAXSIZE
// and DEPTH in any order, then ")"; at least one entry.
func (d *Decoder) listMetadata() (*MetadataRequest, error) {
	r := &MetadataRequest{}
	seen := map[string]bool{}
	err := d.list(true, func() error {
		if !d.atString() {
			// Entry names start with "/": an option name is never one.
			start := d.pos
			kw := strings.ToUpper(d.span(isAtomChar))
			d.pos = start
			if kw == "MAXSIZE" || kw == "DEPTH" {
				return d.metadataOption(r, seen)
			}
		}
		if len(r.Entries) == maxMetadataEntries {
			return d.errf("Too many entries")
		}
		e, err := d.astring()
		r.Entries = append(r.Entries, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(r.Entries) == 0 {
		return nil, d.errf("METADATA return option without an entry")
	}
	return r, nil
}
