package state

import (
	"fmt"
	"slices"
	"strings"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// systemFlags in the order they are reported (RFC 9051 §2.3.2).
var systemFlags = []struct {
	name string
	bit  uint8
}{
	{`\Seen`, schema.FlagSeen},
	{`\Answered`, schema.FlagAnswered},
	{`\Flagged`, schema.FlagFlagged},
	{`\Deleted`, schema.FlagDeleted},
	{`\Draft`, schema.FlagDraft},
}

const maxKeywordLen = 256

// flagSet is a parsed flag list.
type flagSet struct {
	system   uint8
	keywords []string
}

// parseFlags canonicalises system flags, drops \Recent (never stored:
// RFC 9051 §2.3.2, it is a session property) and dedupes keywords
// case-insensitively keeping the first spelling. Unknown system flags and
// keywords that are not atoms are ErrInvalidArgument.
func parseFlags(flags []string) (flagSet, error) {
	var fs flagSet
	for _, f := range flags {
		if strings.HasPrefix(f, `\`) {
			if strings.EqualFold(f, `\Recent`) {
				continue
			}
			found := false
			for _, sf := range systemFlags {
				if strings.EqualFold(f, sf.name) {
					fs.system |= sf.bit
					found = true
				}
			}
			if !found {
				return fs, fmt.Errorf("state: unknown system flag %q: %w", f, base.ErrInvalidArgument)
			}
			continue
		}
		if err := validKeyword(f); err != nil {
			return fs, err
		}
		if !hasKeyword(fs.keywords, f) {
			fs.keywords = append(fs.keywords, f)
		}
	}
	return fs, nil
}

// validKeyword checks the atom syntax of RFC 9051 §9 (flag-keyword = atom):
// no atom-specials "(){ %*\"\\]" and no CTL.
func validKeyword(k string) error {
	if k == "" || len(k) > maxKeywordLen {
		return fmt.Errorf("state: keyword %q: %w", k, base.ErrInvalidArgument)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return fmt.Errorf("state: keyword %q: %w", k, base.ErrInvalidArgument)
		}
	}
	return nil
}

func hasKeyword(list []string, k string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, k) })
}

// applyStore returns the flags of a message after a STORE op.
func applyStore(cur schema.MsgState, op metadatapb.StoreOp, fs flagSet) (uint8, []string) {
	switch op {
	case metadatapb.StoreOp_STORE_ADD:
		kws := slices.Clone(cur.Keywords)
		for _, k := range fs.keywords {
			if !hasKeyword(kws, k) {
				kws = append(kws, k)
			}
		}
		return cur.System | fs.system, kws
	case metadatapb.StoreOp_STORE_REMOVE:
		var kws []string
		for _, k := range cur.Keywords {
			if !hasKeyword(fs.keywords, k) {
				kws = append(kws, k)
			}
		}
		return cur.System &^ fs.system, kws
	default:
		return fs.system, slices.Clone(fs.keywords)
	}
}

// sameFlags compares flag sets (keywords case-insensitively, any order).
func sameFlags(aSys uint8, aKw []string, bSys uint8, bKw []string) bool {
	if aSys != bSys || len(aKw) != len(bKw) {
		return false
	}
	for _, k := range aKw {
		if !hasKeyword(bKw, k) {
			return false
		}
	}
	return true
}

// systemFlagLists holds the rendered list of every combination of system
// flags, shared by all messages without keywords: a FETCH FLAGS or SEARCH
// over a large mailbox then allocates no flag list per message. Callers
// must not modify a returned list (appending is fine: it has no spare
// capacity, so append copies).
var systemFlagLists = func() [][]string {
	var all uint8
	for _, sf := range systemFlags {
		all |= sf.bit
	}
	lists := make([][]string, int(all)+1)
	for bits := range lists {
		var l []string
		for _, sf := range systemFlags {
			if uint8(bits)&sf.bit != 0 {
				l = append(l, sf.name)
			}
		}
		lists[bits] = l[:len(l):len(l)]
	}
	return lists
}()

// flagList renders a state's flags: system flags in fixed order, then
// keywords as stored. The result is shared: see systemFlagLists.
func flagList(s schema.MsgState) []string {
	if len(s.Keywords) == 0 && int(s.System) < len(systemFlagLists) {
		return systemFlagLists[s.System]
	}
	out := make([]string, 0, 2+len(s.Keywords))
	for _, sf := range systemFlags {
		if s.System&sf.bit != 0 {
			out = append(out, sf.name)
		}
	}
	return append(out, s.Keywords...)
}
