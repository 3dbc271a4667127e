package wire

import (
	"encoding/base64"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// This file dispatches a command line to the parser of its command and
// holds the parsers of the small commands (RFC 9051 §6.1–§6.3).

// cmdParser parses the arguments of one command, starting right after the
// command name; it sets cmd.Args.
type cmdParser func(d *Decoder, cmd *Command) error

// commands maps upper-case command names to their parsers. Commands are
// matched whatever the session state: state checks are the session's job.
var commands map[string]cmdParser

// uidCommands are the commands that take the UID prefix (RFC 9051 §6.4.9,
// RFC 4315 UID EXPUNGE, RFC 6851 UID MOVE).
var uidCommands = map[string]bool{
	"FETCH": true, "STORE": true, "SEARCH": true, "COPY": true, "MOVE": true, "EXPUNGE": true,
}

func init() {
	commands = map[string]cmdParser{
		"CAPABILITY": noArgs, "NOOP": noArgs, "LOGOUT": noArgs, "STARTTLS": noArgs,
		"CHECK": noArgs, "CLOSE": noArgs, "UNSELECT": noArgs, "IDLE": noArgs,
		"NAMESPACE": noArgs, "UNAUTHENTICATE": noArgs,
		"EXPUNGE":      parseExpunge,
		"ID":           parseID,
		"LOGIN":        parseLogin,
		"AUTHENTICATE": parseAuthenticate,
		"ENABLE":       parseEnable,
		"SELECT":       parseSelect,
		"EXAMINE":      parseSelect,
		"CREATE":       parseCreate,
		"DELETE":       parseMailboxArg,
		"SUBSCRIBE":    parseMailboxArg,
		"UNSUBSCRIBE":  parseMailboxArg,
		"RENAME":       parseRename,
		"LIST":         parseList,
		"LSUB":         parseLsub,
		"STATUS":       parseStatus,
		"APPEND":       parseAppend,
		"SEARCH":       parseSearch,
		"FETCH":        parseFetch,
		"STORE":        parseStore,
		"COPY":         parseCopy,
		"MOVE":         parseCopy,
	}
}

// readCommand reads and parses one command; on a *SyntaxError the caller
// resynchronises.
func (d *Decoder) readCommand() (*Command, error) {
	d.tag, d.name, d.uid, d.litUsed, d.depth, d.keyDepth = "", "", false, 0, 0, 0
	for {
		d.used = 0
		if err := d.readChunkAt(true); err != nil {
			return nil, err
		}
		// Tolerate empty lines between commands (some clients send an
		// extra CRLF after a literal).
		if len(d.line) > 0 {
			break
		}
	}
	// RFC 9051 §9: command = tag SP (...) CRLF.
	tag := d.span(isTagChar)
	if tag != "" && d.atEnd() {
		d.tag = tag
		return nil, d.errf("Missing command")
	}
	if tag == "" || !d.peekIs(' ') {
		return nil, d.errf("Invalid tag")
	}
	d.tag = tag
	d.pos++
	name, err := d.keyword()
	if err != nil {
		return nil, d.errf("Missing command")
	}
	cmd := &Command{Tag: tag, Name: name}
	if name == "UID" {
		if err := d.sp(); err != nil {
			return nil, err
		}
		if cmd.Name, err = d.keyword(); err != nil {
			return nil, err
		}
		if !uidCommands[cmd.Name] {
			return nil, d.errf("Unknown command")
		}
		cmd.UID = true
	}
	parse, ok := commands[cmd.Name]
	if !ok {
		return nil, d.errf("Unknown command")
	}
	d.name, d.uid = cmd.Name, cmd.UID // a known command: SyntaxError names it
	if err := parse(d, cmd); err != nil {
		return nil, err
	}
	if cmd.Name != "APPEND" {
		if err := d.end(); err != nil {
			return nil, err
		}
	}
	return cmd, nil
}

func noArgs(d *Decoder, cmd *Command) error { return nil }

// parseExpunge: EXPUNGE, or UID EXPUNGE sequence-set (RFC 4315 §2.1).
func parseExpunge(d *Decoder, cmd *Command) error {
	if !cmd.UID {
		return nil
	}
	if err := d.sp(); err != nil {
		return err
	}
	set, err := d.seqSet(true)
	if err != nil {
		return err
	}
	cmd.Args = &NumSetArgs{Set: set}
	return nil
}

// RFC 2971 §3.3: at most 30 pairs, fields up to 30 octets, values up to
// 1024 octets.
const (
	maxIDParams   = 30
	maxIDField    = 30
	maxIDValueLen = 1024
)

// parseID: ID SP ("(" string SP nstring *(SP string SP nstring) ")" / NIL)
// (RFC 2971 §4). "ID ()" is accepted as an empty, non-nil list.
func parseID(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	args := &IDArgs{}
	cmd.Args = args
	if !d.peekIs('(') {
		a, err := d.atom()
		if err != nil || !strings.EqualFold(a, "NIL") {
			return d.errf("Expected ID parameter list or NIL")
		}
		return nil
	}
	args.Params = []IDParam{}
	return d.list(false, func() error {
		if len(args.Params) == maxIDParams {
			return d.errf("Too many ID parameters")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if err := d.sp(); err != nil {
			return err
		}
		val, err := d.nstring()
		if err != nil {
			return err
		}
		if len(key) > maxIDField || (val != nil && len(*val) > maxIDValueLen) {
			return d.errf("ID field or value too long")
		}
		args.Params = append(args.Params, IDParam{Key: key, Value: val})
		return nil
	})
}

// parseLogin: LOGIN SP userid SP password (RFC 9051 §6.2.3).
func parseLogin(d *Decoder, cmd *Command) error {
	user, pass, err := d.twoAStrings()
	if err != nil {
		return err
	}
	cmd.Args = &LoginArgs{Username: user, Password: pass}
	return nil
}

// twoAStrings reads SP astring SP astring, the arguments of LOGIN and
// RENAME.
func (d *Decoder) twoAStrings() (a, b string, err error) {
	if err = d.sp(); err != nil {
		return "", "", err
	}
	if a, err = d.astring(); err != nil {
		return "", "", err
	}
	if err = d.sp(); err != nil {
		return "", "", err
	}
	b, err = d.astring()
	return a, b, err
}

// parseAuthenticate: AUTHENTICATE SP auth-type [SP (base64 / "=")]
// (RFC 9051 §6.2.2, SASL-IR RFC 4959 §7).
func parseAuthenticate(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mech, err := d.keyword()
	if err != nil {
		return err
	}
	args := &AuthenticateArgs{Mechanism: mech}
	cmd.Args = args
	if !d.maybe(' ') {
		return nil
	}
	args.HasIR = true
	ir := d.span(isBase64Char)
	if ir == "=" {
		args.InitialResponse = []byte{}
		return nil
	}
	if ir == "" {
		return d.errf("Expected base64 initial response")
	}
	b, err := base64.StdEncoding.DecodeString(ir)
	if err != nil {
		return d.errf("Invalid base64 initial response")
	}
	args.InitialResponse = b
	return nil
}

func isBase64Char(c byte) bool {
	return isAlnum(c) || c == '+' || c == '/' || c == '='
}

// parseEnable: ENABLE 1*(SP capability) (RFC 5161 §4).
func parseEnable(d *Decoder, cmd *Command) error {
	args := &EnableArgs{}
	for {
		if err := d.sp(); err != nil {
			return err
		}
		c, err := d.keyword()
		if err != nil {
			return err
		}
		args.Caps = append(args.Caps, c)
		if d.atEnd() {
			break
		}
	}
	cmd.Args = args
	return nil
}

// parseSelect: SELECT/EXAMINE SP mailbox [select-params] (RFC 9051 §6.3.2,
// RFC 4466 §2.1, RFC 7162 §3.1.8 CONDSTORE and §3.2.5 QRESYNC).
func parseSelect(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.astring()
	if err != nil {
		return err
	}
	args := &SelectArgs{Mailbox: mbox}
	cmd.Args = args
	if !d.maybe(' ') {
		return nil
	}
	return d.list(false, func() error {
		name, err := d.keyword()
		if err != nil {
			return err
		}
		switch name {
		case "CONDSTORE":
			args.CondStore = true
		case "QRESYNC":
			if args.QResync != nil {
				return d.errf("Duplicate QRESYNC parameter")
			}
			if err := d.sp(); err != nil {
				return err
			}
			args.QResync, err = d.qresyncParams()
			return err
		default:
			return d.errf("Unknown SELECT parameter " + name)
		}
		return nil
	})
}

// qresyncParams reads "(" uidvalidity SP mod-sequence-value [SP known-uids]
// [SP seq-match-data] ")" (RFC 7162 §7).
func (d *Decoder) qresyncParams() (*QResyncParams, error) {
	if err := d.open(); err != nil {
		return nil, err
	}
	q := &QResyncParams{}
	var err error
	if q.UIDValidity, err = d.nzNumber(); err != nil {
		return nil, err
	}
	if err := d.sp(); err != nil {
		return nil, err
	}
	if q.ModSeq, err = d.number64(); err != nil {
		return nil, err
	}
	if d.maybe(' ') && !d.peekIs('(') {
		set, err := d.staticSet(true)
		if err != nil {
			return nil, err
		}
		q.KnownUIDs = set.(imap.UIDSet)
		if !d.maybe(' ') {
			return q, d.close()
		}
	}
	if d.peekIs('(') {
		if err := d.open(); err != nil {
			return nil, err
		}
		seqs, err := d.staticSet(false)
		if err != nil {
			return nil, err
		}
		if err := d.sp(); err != nil {
			return nil, err
		}
		uids, err := d.staticSet(true)
		if err != nil {
			return nil, err
		}
		if err := d.close(); err != nil {
			return nil, err
		}
		q.SeqMatch = &SeqMatch{Seqs: seqs.(imap.SeqSet), UIDs: uids.(imap.UIDSet)}
	}
	return q, d.close()
}

// staticSet reads a sequence set without "$" or "*" (RFC 7162 known-uids).
func (d *Decoder) staticSet(uid bool) (imap.NumSet, error) {
	if d.peekIs('$') {
		return nil, d.errf("Invalid sequence set")
	}
	set, err := d.seqSet(uid)
	if err != nil {
		return nil, err
	}
	if set.Dynamic() {
		return nil, d.errf("'*' not allowed here")
	}
	return set, nil
}

// specialUse canonicalises the RFC 6154 §2 attributes.
var specialUse = map[string]string{
	`\ALL`: `\All`, `\ARCHIVE`: `\Archive`, `\DRAFTS`: `\Drafts`, `\FLAGGED`: `\Flagged`,
	`\JUNK`: `\Junk`, `\SENT`: `\Sent`, `\TRASH`: `\Trash`, `\IMPORTANT`: `\Important`,
}

// parseCreate: CREATE SP mailbox [SP "(" create-param *(SP create-param) ")"]
// with create-param USE SP "(" [use-attr *(SP use-attr)] ")" (RFC 4466 §2.2,
// RFC 6154 §3).
func parseCreate(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.astring()
	if err != nil {
		return err
	}
	args := &CreateArgs{Mailbox: mbox}
	cmd.Args = args
	if !d.maybe(' ') {
		return nil
	}
	return d.list(false, func() error {
		name, err := d.keyword()
		if err != nil {
			return err
		}
		if name != "USE" {
			return d.errf("Unknown CREATE parameter " + name)
		}
		if err := d.sp(); err != nil {
			return err
		}
		attrs, err := d.flagList()
		if err != nil {
			return err
		}
		for _, a := range attrs {
			if !strings.HasPrefix(a, `\`) {
				return d.errf("Invalid special-use attribute")
			}
			if c, ok := specialUse[strings.ToUpper(a)]; ok {
				a = c
			}
			args.SpecialUse = append(args.SpecialUse, a)
		}
		return nil
	})
}

// parseMailboxArg: DELETE / SUBSCRIBE / UNSUBSCRIBE SP mailbox.
func parseMailboxArg(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.astring()
	if err != nil {
		return err
	}
	cmd.Args = &MailboxArgs{Mailbox: mbox}
	return nil
}

// parseRename: RENAME SP mailbox SP mailbox (RFC 9051 §6.3.6).
func parseRename(d *Decoder, cmd *Command) error {
	from, to, err := d.twoAStrings()
	if err != nil {
		return err
	}
	cmd.Args = &RenameArgs{From: from, To: to}
	return nil
}

// statusItems are the STATUS data items postbus knows (RFC 9051 §6.3.11,
// RFC 7162 HIGHESTMODSEQ, RFC 7889 APPENDLIMIT, RFC 8474 MAILBOXID).
var statusItems = map[string]bool{
	"MESSAGES": true, "UIDNEXT": true, "UIDVALIDITY": true, "UNSEEN": true, "DELETED": true,
	"SIZE": true, "RECENT": true, "HIGHESTMODSEQ": true, "APPENDLIMIT": true, "MAILBOXID": true,
}

// statusAtts reads "(" status-att *(SP status-att) ")".
func (d *Decoder) statusAtts() ([]string, error) {
	items, err := d.atomList()
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, d.errf("Missing STATUS items")
	}
	for _, it := range items {
		if !statusItems[it] {
			return nil, d.errf("Unknown STATUS item " + it)
		}
	}
	return items, nil
}

// parseStatus: STATUS SP mailbox SP "(" status-att *(SP status-att) ")".
func parseStatus(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.astring()
	if err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	items, err := d.statusAtts()
	if err != nil {
		return err
	}
	cmd.Args = &StatusArgs{Mailbox: mbox, Items: items}
	return nil
}

// parseCopy: COPY / MOVE SP sequence-set SP mailbox (RFC 9051 §6.4.7,
// RFC 6851 §3.1).
func parseCopy(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	set, err := d.seqSet(cmd.UID)
	if err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.astring()
	if err != nil {
		return err
	}
	cmd.Args = &CopyArgs{Set: set, Mailbox: mbox}
	return nil
}
