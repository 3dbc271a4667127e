package wire

import "strings"

// The QUOTA extension's commands (RFC 9208 §4.1). They are registered in
// the command table by this file's init, which runs after commands.go's
// (the go tool initialises a package's files in file name order).

// QuotaRootArgs is GETQUOTA quota-root-name (RFC 9208 §4.1.1).
type QuotaRootArgs struct {
	Root string
}

// SetQuotaArgs is SETQUOTA quota-root-name setquota-list (RFC 9208
// §4.1.3). Resource names are upper-cased; an empty list removes every
// limit.
type SetQuotaArgs struct {
	Root   string
	Limits []QuotaLimit
}

// QuotaLimit is one setquota-resource.
type QuotaLimit struct {
	Resource string // "STORAGE", "MESSAGE", ... (resource-name-ext too)
	Limit    uint64
}

// maxQuotaLimits bounds a SETQUOTA list: RFC 9208 registers four resource
// names; a client naming more than this is not setting quotas.
const maxQuotaLimits = 16

func init() {
	commands["GETQUOTA"] = parseGetQuota
	commands["GETQUOTAROOT"] = parseMailboxArg // getquotaroot = "GETQUOTAROOT" SP mailbox
	commands["SETQUOTA"] = parseSetQuota
	statusItems["DELETED-STORAGE"] = true // RFC 9208 §4.1.4
}

// parseGetQuota: GETQUOTA SP quota-root-name, quota-root-name = astring.
func parseGetQuota(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	root, err := d.astring()
	if err != nil {
		return err
	}
	cmd.Args = &QuotaRootArgs{Root: root}
	return nil
}

// parseSetQuota: SETQUOTA SP quota-root-name SP "(" [resource-name SP
// number64 *(SP resource-name SP number64)] ")".
func parseSetQuota(d *Decoder, cmd *Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	root, err := d.astring()
	if err != nil {
		return err
	}
	if err := d.sp(); err != nil {
		return err
	}
	args := &SetQuotaArgs{Root: root, Limits: []QuotaLimit{}}
	err = d.list(false, func() error {
		if len(args.Limits) == maxQuotaLimits {
			return d.errf("Too many quota resources")
		}
		name, err := d.atom()
		if err != nil {
			return err
		}
		if err := d.sp(); err != nil {
			return err
		}
		n, err := d.number64()
		if err != nil {
			return err
		}
		args.Limits = append(args.Limits, QuotaLimit{Resource: strings.ToUpper(name), Limit: n})
		return nil
	})
	if err != nil {
		return err
	}
	cmd.Args = args
	return nil
}
