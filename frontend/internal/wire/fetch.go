package wire

import (
	"strings"
)

// This file parses FETCH (RFC 9051 §6.4.5, BINARY RFC 3516, CONDSTORE and
// QRESYNC modifiers RFC 7162, PREVIEW RFC 8970, OBJECTID RFC 8474,
// SAVEDATE RFC 8514) and STORE (RFC 9051 §6.4.6, RFC 7162 UNCHANGEDSINCE).

// fetchMacros are the RFC 9051 §6.4.5 macros, expanded in place.
var fetchMacros = map[string][]string{
	"ALL":  {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"},
	"FAST": {"FLAGS", "INTERNALDATE", "RFC822.SIZE"},
	"FULL": {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"},
}

// simpleFetchAtts are the fetch-att names without section or modifiers.
var simpleFetchAtts = map[string]bool{
	"ENVELOPE": true, "FLAGS": true, "INTERNALDATE": true, "RFC822": true,
	"RFC822.HEADER": true, "RFC822.SIZE": true, "RFC822.TEXT": true,
	"BODYSTRUCTURE": true, "UID": true, "MODSEQ": true, "SAVEDATE": true,
	"EMAILID": true, "THREADID": true,
}

// parseFetch: FETCH SP sequence-set SP (macro / fetch-att /
// "(" fetch-att *(SP fetch-att) ")") [SP "(" fetch-modifier ... ")"].
func parseFetch(d *Decoder, cmd *Command) error {
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
	args := &FetchArgs{Set: set}
	if d.peekIs('(') {
		if err := d.list(true, func() error {
			it, err := d.fetchAtt()
			args.Items = append(args.Items, it)
			return err
		}); err != nil {
			return err
		}
	} else {
		save := d.pos
		name := strings.ToUpper(d.span(isFetchNameChar))
		if m, ok := fetchMacros[name]; ok {
			for _, n := range m {
				args.Items = append(args.Items, FetchItem{Name: n})
			}
		} else {
			d.pos = save
			it, err := d.fetchAtt()
			if err != nil {
				return err
			}
			args.Items = []FetchItem{it}
		}
	}
	if d.maybe(' ') {
		if err := d.fetchModifiers(cmd, args); err != nil {
			return err
		}
	}
	cmd.Args = args
	return nil
}

func isFetchNameChar(c byte) bool { return isAlnum(c) || c == '.' }

// fetchModifiers reads "(" fetch-modifier *(SP fetch-modifier) ")"
// (RFC 4466 §2.4, RFC 7162 §3.1.4.1 CHANGEDSINCE, §3.2.6 VANISHED).
func (d *Decoder) fetchModifiers(cmd *Command, args *FetchArgs) error {
	err := d.list(true, func() error {
		name, err := d.keyword()
		if err != nil {
			return err
		}
		switch name {
		case "CHANGEDSINCE":
			if err := d.sp(); err != nil {
				return err
			}
			if args.ChangedSince, err = d.number64(); err != nil {
				return err
			}
			args.HasChangedSince = true
		case "VANISHED":
			args.Vanished = true
		default:
			return d.errf("Unknown FETCH modifier " + name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// RFC 7162 §3.2.6: VANISHED only in UID FETCH, with CHANGEDSINCE.
	if args.Vanished && (!cmd.UID || !args.HasChangedSince) {
		return d.errf("VANISHED requires UID FETCH and CHANGEDSINCE")
	}
	return nil
}

// fetchAtt reads one fetch-att.
func (d *Decoder) fetchAtt() (FetchItem, error) {
	name := strings.ToUpper(d.span(isFetchNameChar))
	var it FetchItem
	switch {
	case simpleFetchAtts[name]:
		return FetchItem{Name: name}, nil
	case name == "PREVIEW":
		it.Name = name
		// RFC 8970 §3.1: "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"].
		// A "(" after SP cannot start another fetch-att, but at top level
		// it could open the fetch modifiers: look for LAZY.
		if len(d.line)-d.pos >= 6 && strings.EqualFold(string(d.line[d.pos:d.pos+6]), " (LAZY") {
			d.pos++
			mods, err := d.atomList()
			if err != nil {
				return it, err
			}
			for _, m := range mods {
				if m != "LAZY" {
					return it, d.errf("Unknown PREVIEW modifier " + m)
				}
			}
			it.Lazy = true
		}
		return it, nil
	case name == "BODY" && !d.peekIs('['):
		return FetchItem{Name: "BODY"}, nil
	case name == "BODY" || name == "BODY.PEEK":
		it.Name, it.Peek = "BODY[]", name == "BODY.PEEK"
		sec, err := d.section()
		if err != nil {
			return it, err
		}
		it.Section = sec
	case name == "BINARY" || name == "BINARY.PEEK" || name == "BINARY.SIZE":
		// RFC 3516 §4.2: section-binary = "[" [section-part] "]".
		it.Name, it.Peek = "BINARY[]", name == "BINARY.PEEK"
		if name == "BINARY.SIZE" {
			it.Name = "BINARY.SIZE[]"
		}
		if err := d.expect('['); err != nil {
			return it, err
		}
		it.Section = &Section{}
		if !d.peekIs(']') {
			part, err := d.sectionPart()
			if err != nil {
				return it, err
			}
			it.Section.Part = part
		}
		if err := d.expect(']'); err != nil {
			return it, err
		}
		if name == "BINARY.SIZE" {
			return it, nil
		}
	case name == "":
		return it, d.errf("Expected fetch item")
	default:
		return it, d.errf("Unknown fetch item " + name)
	}
	if d.peekIs('<') {
		p, err := d.partial()
		if err != nil {
			return it, err
		}
		it.Partial = p
	}
	return it, nil
}

// section reads "[" [section-spec] "]" (RFC 9051 §9 section).
func (d *Decoder) section() (*Section, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	sec := &Section{}
	if d.maybe(']') {
		return sec, nil
	}
	if c := d.peek(); c >= '0' && c <= '9' {
		part, err := d.sectionPart()
		if err != nil {
			return nil, err
		}
		sec.Part = part
		if d.maybe(']') {
			return sec, nil
		}
		if err := d.expect('.'); err != nil {
			return nil, err
		}
	}
	spec := strings.ToUpper(d.span(func(c byte) bool { return c == '.' || isAlnum(c) }))
	switch spec {
	case "HEADER", "TEXT":
	case "MIME":
		if len(sec.Part) == 0 {
			return nil, d.errf("MIME needs a part number")
		}
	case "HEADER.FIELDS", "HEADER.FIELDS.NOT":
		if err := d.sp(); err != nil {
			return nil, err
		}
		fields, err := d.headerList()
		if err != nil {
			return nil, err
		}
		sec.Fields = fields
	default:
		return nil, d.errf("Invalid section")
	}
	sec.Specifier = spec
	if err := d.expect(']'); err != nil {
		return nil, err
	}
	return sec, nil
}

// sectionPart reads nz-number *("." nz-number), stopping before a "."
// that starts a section-text.
func (d *Decoder) sectionPart() ([]int, error) {
	var part []int
	for {
		n, err := d.nzNumber()
		if err != nil {
			return nil, err
		}
		part = append(part, int(n))
		if d.pos+1 < len(d.line) && d.line[d.pos] == '.' && d.line[d.pos+1] >= '0' && d.line[d.pos+1] <= '9' {
			d.pos++
			continue
		}
		return part, nil
	}
}

// headerList reads "(" header-fld-name *(SP header-fld-name) ")".
func (d *Decoder) headerList() ([]string, error) {
	var fields []string
	err := d.list(true, func() error {
		f, err := d.astring()
		fields = append(fields, f)
		return err
	})
	return fields, err
}

// partial reads "<" number64 "." nz-number64 ">".
func (d *Decoder) partial() (*Partial, error) {
	if err := d.expect('<'); err != nil {
		return nil, err
	}
	off, err := d.number64()
	if err != nil {
		return nil, err
	}
	if err := d.expect('.'); err != nil {
		return nil, err
	}
	n, err := d.number64()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, d.errf("Partial count must be non-zero")
	}
	if err := d.expect('>'); err != nil {
		return nil, err
	}
	return &Partial{Offset: int64(off), Count: int64(n)}, nil
}

// parseStore: STORE SP sequence-set [SP "(" UNCHANGEDSINCE SP
// mod-sequence-valzer ")"] SP (["+" / "-"] "FLAGS" [".SILENT"]) SP
// (flag-list / (flag *(SP flag))).
func parseStore(d *Decoder, cmd *Command) error {
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
	args := &StoreArgs{Set: set}
	if d.peekIs('(') {
		if err := d.open(); err != nil {
			return err
		}
		name, err := d.keyword()
		if err != nil {
			return err
		}
		if name != "UNCHANGEDSINCE" {
			return d.errf("Unknown STORE modifier " + name)
		}
		if err := d.sp(); err != nil {
			return err
		}
		if args.UnchangedSince, err = d.number64(); err != nil {
			return err
		}
		args.HasUnchangedSince = true
		if err := d.close(); err != nil {
			return err
		}
		if err := d.sp(); err != nil {
			return err
		}
	}
	switch {
	case d.maybe('+'):
		args.Op = StoreAdd
	case d.maybe('-'):
		args.Op = StoreRemove
	}
	item := strings.ToUpper(d.span(isFetchNameChar))
	switch item {
	case "FLAGS":
	case "FLAGS.SILENT":
		args.Silent = true
	default:
		return d.errf("Expected FLAGS, +FLAGS or -FLAGS")
	}
	if err := d.sp(); err != nil {
		return err
	}
	if d.peekIs('(') {
		if args.Flags, err = d.flagList(); err != nil {
			return err
		}
	} else {
		for {
			f, err := d.flag()
			if err != nil {
				return err
			}
			args.Flags = append(args.Flags, f)
			if !d.maybe(' ') {
				break
			}
		}
	}
	cmd.Args = args
	return nil
}
