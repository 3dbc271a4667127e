package wire

import (
	"strings"

	"github.com/emersion/go-imap/v2"
)

// This file parses SEARCH (RFC 9051 §6.4.4) with ESEARCH return options
// (RFC 4731), SEARCHRES (RFC 5182), MODSEQ (RFC 7162 §3.1.5), WITHIN
// (RFC 5032), SAVEDATE (RFC 8514) and OBJECTID (RFC 8474 §6) keys.

// searchReturn are the known RETURN options.
var searchReturn = map[string]bool{"MIN": true, "MAX": true, "ALL": true, "COUNT": true, "SAVE": true}

// returnOptions reads an optional `"RETURN" SP "(" [opts] ")" SP` of SEARCH
// (RFC 4731 §3.1) or SORT (RFC 5267 §3.2), upper-case, each one of known;
// has tells "RETURN ()" from no RETURN at all.
func (d *Decoder) returnOptions(command string, known map[string]bool) (opts []string, has bool, err error) {
	if !d.peekKeyword("RETURN") {
		return nil, false, nil
	}
	d.pos += len("RETURN")
	if err := d.sp(); err != nil {
		return nil, false, err
	}
	if opts, err = d.atomList(); err != nil {
		return nil, false, err
	}
	for _, o := range opts {
		if !known[o] {
			return nil, false, d.errf("Unknown " + command + " return option " + o)
		}
	}
	return opts, true, d.sp()
}

// parseSearch: SEARCH [SP "RETURN" SP "(" [opts] ")"] [SP "CHARSET" SP
// charset] 1*(SP search-key).
func parseSearch(d *Decoder, cmd *Command) error {
	args := &SearchArgs{}
	if err := d.sp(); err != nil {
		return err
	}
	var err error
	if args.Return, args.HasReturn, err = d.returnOptions("SEARCH", searchReturn); err != nil {
		return err
	}
	if d.peekKeyword("CHARSET") {
		d.pos += len("CHARSET")
		if err := d.sp(); err != nil {
			return err
		}
		cs, err := d.astring()
		if err != nil {
			return err
		}
		args.Charset = cs
		if err := d.sp(); err != nil {
			return err
		}
	}
	top := &SearchKey{Op: SearchAnd}
	for {
		k, err := d.searchKey()
		if err != nil {
			return err
		}
		top.Children = append(top.Children, k)
		if !d.maybe(' ') {
			break
		}
	}
	args.Key = top
	cmd.Args = args
	return nil
}

// peekKeyword reports whether the next atom is kw (case-insensitive),
// followed by SP or the end of the line.
func (d *Decoder) peekKeyword(kw string) bool {
	end := d.pos + len(kw)
	if end > len(d.line) || !strings.EqualFold(string(d.line[d.pos:end]), kw) {
		return false
	}
	return end == len(d.line) || d.line[end] == ' '
}

// flagKeys are the search keys that test a system flag, with their
// negations.
var flagKeys = map[string]struct {
	flag string
	not  bool
}{
	"ANSWERED": {`\Answered`, false}, "DELETED": {`\Deleted`, false},
	"DRAFT": {`\Draft`, false}, "FLAGGED": {`\Flagged`, false}, "SEEN": {`\Seen`, false},
	"UNANSWERED": {`\Answered`, true}, "UNDELETED": {`\Deleted`, true},
	"UNDRAFT": {`\Draft`, true}, "UNFLAGGED": {`\Flagged`, true}, "UNSEEN": {`\Seen`, true},
}

// headerKeys map the header search keys to canonical header names.
var headerKeys = map[string]string{
	"FROM": "From", "TO": "To", "CC": "Cc", "BCC": "Bcc", "SUBJECT": "Subject",
}

// dateKeys map the date search keys to their op.
var dateKeys = map[string]SearchOp{
	"BEFORE": SearchBefore, "ON": SearchOn, "SINCE": SearchSince,
	"SENTBEFORE": SearchSentBefore, "SENTON": SearchSentOn, "SENTSINCE": SearchSentSince,
	"SAVEDBEFORE": SearchSavedBefore, "SAVEDON": SearchSavedOn, "SAVEDSINCE": SearchSavedSince,
}

// numberKeys map the search keys taking a number to their op.
var numberKeys = map[string]SearchOp{
	"LARGER": SearchLarger, "SMALLER": SearchSmaller,
	"OLDER": SearchOlder, "YOUNGER": SearchYounger,
}

// searchDepthFactor×MaxNesting bounds the recursion of search keys.
const searchDepthFactor = 32

func not(k *SearchKey) *SearchKey { return &SearchKey{Op: SearchNot, Children: []*SearchKey{k}} }

// searchKey reads one search-key (RFC 9051 §9 and the extensions above),
// normalised as documented on SearchKey.
func (d *Decoder) searchKey() (*SearchKey, error) {
	// NOT and OR nest without parentheses; clients build long OR chains,
	// so they get a budget of their own beyond MaxNesting.
	d.keyDepth++
	defer func() { d.keyDepth-- }()
	if d.keyDepth > searchDepthFactor*d.lim.MaxNesting {
		return nil, d.errf("Search key too deeply nested")
	}
	switch c := d.peek(); {
	case c == '(':
		k := &SearchKey{Op: SearchAnd}
		err := d.list(true, func() error {
			child, err := d.searchKey()
			k.Children = append(k.Children, child)
			return err
		})
		return k, err
	case c == '$':
		d.pos++
		return &SearchKey{Op: SearchSaved}, nil
	case c == '*' || (c >= '0' && c <= '9'):
		set, err := d.seqSet(false)
		if err != nil {
			return nil, err
		}
		return &SearchKey{Op: SearchSeqSet, Set: set}, nil
	}
	name, err := d.keyword()
	if err != nil {
		return nil, d.errf("Expected search key")
	}
	if f, ok := flagKeys[name]; ok {
		k := &SearchKey{Op: SearchFlag, Flag: f.flag}
		if f.not {
			k = not(k)
		}
		return k, nil
	}
	switch name {
	case "ALL":
		return &SearchKey{Op: SearchAll}, nil
	case "SAVEDATESUPPORTED":
		// RFC 8514 §4.3: true for mailboxes that keep a save date;
		// postbus records one for every message of every mailbox.
		return &SearchKey{Op: SearchAll}, nil
	case "RECENT":
		return &SearchKey{Op: SearchRecent}, nil
	case "NEW":
		return &SearchKey{Op: SearchAnd, Children: []*SearchKey{
			{Op: SearchRecent}, not(&SearchKey{Op: SearchFlag, Flag: `\Seen`}),
		}}, nil
	case "OLD":
		return not(&SearchKey{Op: SearchRecent}), nil
	}
	if err := d.sp(); err != nil {
		if name == "NOT" || name == "OR" || name == "UID" || name == "HEADER" || name == "MODSEQ" ||
			name == "KEYWORD" || name == "UNKEYWORD" || name == "BODY" || name == "TEXT" ||
			name == "EMAILID" || name == "THREADID" ||
			headerKeys[name] != "" || dateKeys[name] != 0 || numberKeys[name] != 0 {
			return nil, err
		}
		return nil, d.errf("Unknown search key " + name)
	}
	if field, ok := headerKeys[name]; ok {
		v, err := d.astring()
		if err != nil {
			return nil, err
		}
		return &SearchKey{Op: SearchHeader, Field: field, Value: v}, nil
	}
	if op, ok := dateKeys[name]; ok {
		t, err := d.date()
		if err != nil {
			return nil, err
		}
		return &SearchKey{Op: op, Date: t}, nil
	}
	if op, ok := numberKeys[name]; ok {
		n, err := d.number64()
		if err != nil {
			return nil, err
		}
		// RFC 5032 §3: interval = 1*DIGIT, non-zero.
		if n == 0 && (op == SearchOlder || op == SearchYounger) {
			return nil, d.errf("Interval must be non-zero")
		}
		return &SearchKey{Op: op, Number: n}, nil
	}
	switch name {
	case "NOT":
		k, err := d.searchKey()
		if err != nil {
			return nil, err
		}
		return not(k), nil
	case "OR":
		a, err := d.searchKey()
		if err != nil {
			return nil, err
		}
		if err := d.sp(); err != nil {
			return nil, err
		}
		b, err := d.searchKey()
		if err != nil {
			return nil, err
		}
		return &SearchKey{Op: SearchOr, Children: []*SearchKey{a, b}}, nil
	case "UID":
		if d.maybe('$') {
			return &SearchKey{Op: SearchSaved}, nil
		}
		set, err := d.seqSet(true)
		if err != nil {
			return nil, err
		}
		return &SearchKey{Op: SearchUIDSet, Set: set.(imap.UIDSet)}, nil
	case "BODY", "TEXT":
		v, err := d.astring()
		if err != nil {
			return nil, err
		}
		op := SearchBody
		if name == "TEXT" {
			op = SearchText
		}
		return &SearchKey{Op: op, Value: v}, nil
	case "HEADER":
		field, err := d.astring()
		if err != nil {
			return nil, err
		}
		if err := d.sp(); err != nil {
			return nil, err
		}
		v, err := d.astring()
		if err != nil {
			return nil, err
		}
		return &SearchKey{Op: SearchHeader, Field: field, Value: v}, nil
	case "KEYWORD", "UNKEYWORD":
		// flag-keyword = "$MDNSent" / "$Forwarded" / ... / atom.
		kw, err := d.atom()
		if err != nil {
			return nil, err
		}
		k := &SearchKey{Op: SearchFlag, Flag: kw}
		if name == "UNKEYWORD" {
			k = not(k)
		}
		return k, nil
	case "MODSEQ":
		return d.modSeqKey()
	case "EMAILID", "THREADID":
		return d.objectIDKey(name)
	}
	return nil, d.errf("Unknown search key " + name)
}

// modSeqKey reads the rest of MODSEQ [SP entry-name SP entry-type-req] SP
// mod-sequence-valzer (RFC 7162 §3.1.5). The entry name and type are
// checked and dropped: postbus keeps one modseq per message, so a
// per-flag entry is matched against the message's modseq, which is what
// RFC 7162 §3.1.5 allows for servers without per-metadata modseqs.
func (d *Decoder) modSeqKey() (*SearchKey, error) {
	if d.peekIs('"') {
		entry, err := d.quoted()
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(strings.ToLower(entry), "/flags/") {
			return nil, d.errf("Invalid MODSEQ entry name")
		}
		if err := d.sp(); err != nil {
			return nil, err
		}
		typ, err := d.keyword()
		if err != nil {
			return nil, err
		}
		if typ != "PRIV" && typ != "SHARED" && typ != "ALL" {
			return nil, d.errf("Invalid MODSEQ entry type")
		}
		if err := d.sp(); err != nil {
			return nil, err
		}
	}
	n, err := d.number64()
	if err != nil {
		return nil, err
	}
	return &SearchKey{Op: SearchModSeq, Number: n}, nil
}
