package wire

// This file parses LIST with the LIST-EXTENDED syntax (RFC 5258 §3,
// RFC 9051 §6.3.9), LIST-STATUS (RFC 5819), SPECIAL-USE (RFC 6154),
// LIST-METADATA (RFC 9590), and LSUB.

// listSelection are the known selection options; any other is refused
// with BAD (RFC 5258 §3: unknown options are an error).
var listSelection = map[string]bool{
	"SUBSCRIBED": true, "REMOTE": true, "RECURSIVEMATCH": true, "SPECIAL-USE": true,
}

// parseList: LIST [SP list-select-opts] SP mailbox SP mbox-or-pat
// [SP list-return-opts].
func parseList(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	args := &ListArgs{}
	if d.peekIs('(') {
		opts, err := d.atomList()
		if err != nil {
			return err
		}
		recursive, base := false, false
		for _, o := range opts {
			if !listSelection[o] {
				return d.errf("Unknown LIST selection option " + o)
			}
			if o == "RECURSIVEMATCH" {
				recursive = true
			} else if o != "REMOTE" {
				base = true
			}
		}
		// RFC 5258 §3: RECURSIVEMATCH needs another option that it
		// modifies (SUBSCRIBED, or SPECIAL-USE per RFC 6154 §5.1).
		if recursive && !base {
			return d.errf("RECURSIVEMATCH without a base selection option")
		}
		args.Selection = opts
		if err := d.sp(); err != nil {
			return err
		}
	}
	var err error
	if args.Reference, err = d.astring(); err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	if d.peekIs('(') {
		if err := d.list(true, func() error {
			p, err := d.listMailbox()
			args.Patterns = append(args.Patterns, p)
			return err
		}); err != nil {
			return err
		}
	} else {
		p, err := d.listMailbox()
		if err != nil {
			return err
		}
		args.Patterns = []string{p}
	}
	cmd.Args = args
	if !d.maybe(' ') {
		return nil
	}
	return d.listReturn(args)
}

// listReturn reads "RETURN" SP "(" [return-option *(SP return-option)] ")".
func (d *Decoder) listReturn(args *ListArgs) error {
	kw, err := d.keyword()
	if err != nil {
		return err
	}
	if kw != "RETURN" {
		return d.errf("Expected RETURN")
	}
	if err := d.sp(); err != nil {
		return err
	}
	return d.list(false, func() error {
		opt, err := d.keyword()
		if err != nil {
			return err
		}
		switch opt {
		case "SUBSCRIBED":
			args.ReturnSubscribed = true
		case "CHILDREN":
			args.ReturnChildren = true
		case "SPECIAL-USE":
			args.ReturnSpecialUse = true
		case "MYRIGHTS": // RFC 8440
			args.ReturnMyRights = true
		case "METADATA": // RFC 9590 (metadata.go)
			if args.ReturnMetadata != nil {
				return d.errf("Duplicate METADATA return option")
			}
			if err := d.sp(); err != nil {
				return err
			}
			args.ReturnMetadata, err = d.listMetadata()
			return err
		case "STATUS": // RFC 5819 §2
			if err := d.sp(); err != nil {
				return err
			}
			args.ReturnStatus, err = d.statusAtts()
			return err
		default:
			return d.errf("Unknown LIST return option " + opt)
		}
		return nil
	})
}

// parseLsub: LSUB SP mailbox SP list-mailbox (RFC 3501 §6.3.9).
func parseLsub(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	ref, err := d.astring()
	if err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	pat, err := d.listMailbox()
	if err != nil {
		return err
	}
	cmd.Args = &ListArgs{Reference: ref, Patterns: []string{pat}}
	return nil
}
