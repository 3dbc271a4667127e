package frontend

import (
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2/imapserver"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 9051 §6.3.9 LIST with LIST-EXTENDED (RFC 5258), LIST-STATUS
// (RFC 5819), SPECIAL-USE (RFC 6154), LIST-METADATA (RFC 9590); RFC 3501
// §6.3.9 LSUB.
func (c *conn) cmdList(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.ListArgs)
	if !ok {
		return bad("", cmd.Name+" expects a reference and a mailbox pattern")
	}
	lsub := cmd.Name == "LSUB"
	var selSubscribed, selRecursive, selSpecial bool
	for _, o := range a.Selection {
		switch o {
		case "SUBSCRIBED":
			selSubscribed = true
		case "RECURSIVEMATCH":
			selRecursive = true
		case "SPECIAL-USE":
			selSpecial = true
		case "REMOTE": // no remote mailboxes: nothing to add (RFC 5258 §3.1)
		default:
			return bad("", "unsupported LIST selection option "+sanitizeName(o))
		}
	}
	if selRecursive && !selSubscribed && !selSpecial {
		return bad("", "RECURSIVEMATCH needs another selection option") // RFC 5258 §3.1
	}
	if a.ReturnStatus != nil {
		if err := checkStatusItems(a.ReturnStatus); err != nil {
			return err
		}
	}
	var metaEntries []string
	if a.ReturnMetadata != nil { // RFC 9590 (annotate.go)
		var err error
		if metaEntries, err = canonicalEntries(a.ReturnMetadata.Entries); err != nil {
			return err
		}
	}
	ref, err := c.patternFromWire(a.Reference)
	if err != nil {
		return err
	}
	patterns := make([]string, 0, len(a.Patterns))
	for _, p := range a.Patterns {
		dp, err := c.patternFromWire(p)
		if err != nil {
			return err
		}
		patterns = append(patterns, dp)
	}
	verb := "LIST"
	if lsub {
		verb = "LSUB"
		selSubscribed = true
	}

	// RFC 9051 §6.3.9: an empty pattern asks for the hierarchy delimiter.
	if len(patterns) == 1 && patterns[0] == "" && len(a.Selection) == 0 && !lsub {
		c.enc.Raw(`* LIST (\Noselect) "/" ""`).CRLF()
		return nil
	}

	resp, err := c.srv.cfg.Metadata.ListMailboxes(c.ctx, &metadatapb.ListMailboxesRequest{User: c.user})
	if err != nil {
		return rpcErr(err)
	}
	boxes := make(map[string]*metadatapb.Mailbox, len(resp.Mailboxes))
	subscribed := make(map[string]bool, len(resp.Subscribed))
	for _, mb := range resp.Mailboxes {
		boxes[mb.Name] = mb
		if mb.Subscribed {
			subscribed[mb.Name] = true
		}
	}
	for _, s := range resp.Subscribed {
		subscribed[s] = true
	}
	hasChildren := make(map[string]bool)
	for name := range boxes {
		for p := parentOf(name); p != ""; p = parentOf(p) {
			hasChildren[p] = true
		}
	}
	subscribedChild := make(map[string]bool)
	for name := range subscribed {
		for p := parentOf(name); p != ""; p = parentOf(p) {
			subscribedChild[p] = true
		}
	}

	candidates := make([]string, 0, len(boxes)+len(subscribed))
	for name := range boxes {
		candidates = append(candidates, name)
	}
	for name := range subscribed {
		if boxes[name] == nil {
			candidates = append(candidates, name)
		}
	}
	for name := range subscribedChild {
		if boxes[name] == nil && !subscribed[name] && selRecursive {
			candidates = append(candidates, name)
		}
	}
	// Levels of the hierarchy that exist only as a path to a mailbox
	// (e.g. after RENAME a/b x/y/z) are listed as \Noselect so that "%"
	// walks still find their children (RFC 9051 §6.3.9).
	placeholder := make(map[string]bool)
	if !selSubscribed && !selSpecial {
		for name := range hasChildren {
			if boxes[name] == nil {
				placeholder[name] = true
				candidates = append(candidates, name)
			}
		}
	}
	slices.Sort(candidates)
	candidates = slices.Compact(candidates)

	var meta map[string][]*metadataEntry
	var longest uint64
	if a.ReturnMetadata != nil {
		var names []string
		for _, name := range candidates {
			if boxes[name] != nil && matchAny(name, ref, patterns) {
				names = append(names, name)
			}
		}
		if meta, longest, err = c.listMetadata(a.ReturnMetadata, metaEntries, names); err != nil {
			return err
		}
	}

	returnSubscribed := a.ReturnSubscribed || (selSubscribed && !lsub)
	for _, name := range candidates {
		if !matchAny(name, ref, patterns) {
			continue
		}
		mb := boxes[name]
		childInfo := false
		if selSubscribed && !subscribed[name] {
			if !(selRecursive && subscribedChild[name]) {
				continue
			}
			childInfo = true
		}
		if !selSubscribed && mb == nil && !placeholder[name] {
			continue
		}
		if selSpecial && (mb == nil || mb.SpecialUse == "") {
			continue
		}
		var attrs []string
		if placeholder[name] {
			attrs = append(attrs, `\Noselect`, `\HasChildren`)
		} else if mb == nil {
			if lsub {
				attrs = append(attrs, `\Noselect`)
			} else {
				attrs = append(attrs, `\NonExistent`)
			}
		} else if !lsub {
			if hasChildren[name] {
				attrs = append(attrs, `\HasChildren`)
			} else {
				attrs = append(attrs, `\HasNoChildren`)
			}
			if mb.SpecialUse != "" {
				attrs = append(attrs, mb.SpecialUse)
			}
		}
		if returnSubscribed && subscribed[name] {
			attrs = append(attrs, `\Subscribed`)
		}
		c.enc.Raw("* ").Raw(verb).Raw(" (").Raw(strings.Join(attrs, " ")).Raw(`) "/" `).
			AString(c.mailboxToWire(name))
		if childInfo && !lsub {
			c.enc.Raw(` ("CHILDINFO" ("SUBSCRIBED"))`) // RFC 5258 §3.5
		}
		c.enc.CRLF()
		if a.ReturnStatus != nil && mb != nil && !lsub {
			if err := c.writeStatus(mb, a.ReturnStatus); err != nil {
				return err
			}
		}
		if meta != nil && mb != nil {
			c.writeMetadata(name, meta[name])
		}
	}
	return longEntries(longest, verb)
}

// matchAny reports whether name matches reference+pattern for any pattern
// (RFC 9051 §6.3.9 wildcards; INBOX matched case-insensitively).
func matchAny(name, ref string, patterns []string) bool {
	for _, p := range patterns {
		if imapserver.MatchList(name, '/', ref, p) {
			return true
		}
		if strings.HasPrefix(name, "INBOX") && imapserver.MatchList(name, '/', foldInbox(ref), foldInbox(p)) {
			return true
		}
	}
	return false
}

// foldInbox spells a leading "inbox" level as "INBOX".
func foldInbox(s string) string {
	if len(s) >= 5 && strings.EqualFold(s[:5], "INBOX") && (len(s) == 5 || strings.ContainsRune("/*%", rune(s[5]))) {
		return "INBOX" + s[5:]
	}
	return s
}

// parentOf returns the name one level up, "" at the top.
func parentOf(name string) string {
	i := strings.LastIndex(name, delim)
	if i <= 0 {
		return ""
	}
	return name[:i]
}
