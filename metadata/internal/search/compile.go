package search

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/objectid"
	"github.com/postbus/postbus/proto/metadatapb"
)

// MaxDepth is the deepest criteria tree Compile accepts (the root is depth
// 1). The frontend bounds nesting while parsing; this is the backstop that
// keeps the recursive evaluator's stack small.
const MaxDepth = 64

// cost orders the children of AND/OR so that cheap tests run first.
type cost uint8

const (
	costState  cost = iota // UID, flags, modseq: no MessageMeta needed
	costMeta               // dates, size: Message.Summary (or fixed fields of MessageMeta)
	costDigest             // FROM/TO/CC/BCC/SUBJECT: Message.Digest (or the header)
	costHeader             // parses MessageMeta.header
	costBody               // reads the blob
)

// node is one compiled criterion.
type node interface {
	cost() cost
	eval(e *evaluation) (bool, error)
}

// invalid returns an error wrapping base.ErrInvalidArgument.
func invalid(format string, args ...any) error {
	return fmt.Errorf("search: %s: %w", fmt.Sprintf(format, args...), base.ErrInvalidArgument)
}

// compileKey turns key (at the given depth) into a node.
func compileKey(key *metadatapb.SearchKey, depth int, now time.Time) (node, error) {
	if key == nil {
		return nil, invalid("nil search key")
	}
	if depth > MaxDepth {
		return nil, invalid("search key nested deeper than %d", MaxDepth)
	}
	switch k := key.GetKey().(type) {
	case *metadatapb.SearchKey_All:
		return allNode{}, nil
	case *metadatapb.SearchKey_And:
		kids, err := compileKids(k.And.GetKeys(), depth, now)
		if err != nil {
			return nil, err
		}
		return &andNode{kids: kids, c: maxCost(kids)}, nil
	case *metadatapb.SearchKey_Or:
		if len(k.Or.GetKeys()) < 2 {
			return nil, invalid("OR needs at least two keys, got %d", len(k.Or.GetKeys()))
		}
		kids, err := compileKids(k.Or.GetKeys(), depth, now)
		if err != nil {
			return nil, err
		}
		return &orNode{kids: kids, c: maxCost(kids)}, nil
	case *metadatapb.SearchKey_Not:
		if k.Not == nil {
			return nil, invalid("NOT without a key")
		}
		kid, err := compileKey(k.Not, depth+1, now)
		if err != nil {
			return nil, err
		}
		return &notNode{kid: kid}, nil
	case *metadatapb.SearchKey_Uids:
		return uidNode{set: k.Uids}, nil
	case *metadatapb.SearchKey_Flag:
		if k.Flag == "" {
			return nil, invalid("empty flag")
		}
		return flagNode{flag: k.Flag}, nil
	case *metadatapb.SearchKey_Header:
		return compileHeader(k.Header)
	case *metadatapb.SearchKey_Body:
		return &bodyNode{needle: foldString(k.Body)}, nil
	case *metadatapb.SearchKey_Text:
		return &bodyNode{needle: foldString(k.Text), withHeader: true}, nil
	case *metadatapb.SearchKey_InternalDate:
		return compileDate(k.InternalDate, dateInternal)
	case *metadatapb.SearchKey_SentDate:
		return compileDate(k.SentDate, dateSent)
	case *metadatapb.SearchKey_SaveDate:
		return compileDate(k.SaveDate, dateSaved)
	case *metadatapb.SearchKey_Larger:
		return sizeNode{larger: true, n: k.Larger}, nil
	case *metadatapb.SearchKey_Smaller:
		return sizeNode{n: k.Smaller}, nil
	case *metadatapb.SearchKey_ModseqMin:
		return modseqNode{min: k.ModseqMin}, nil
	case *metadatapb.SearchKey_OlderSecs:
		if k.OlderSecs < 0 {
			return nil, invalid("negative OLDER interval %d", k.OlderSecs)
		}
		return withinNode{older: true, limit: now.Unix() - k.OlderSecs}, nil
	case *metadatapb.SearchKey_YoungerSecs:
		if k.YoungerSecs < 0 {
			return nil, invalid("negative YOUNGER interval %d", k.YoungerSecs)
		}
		return withinNode{limit: now.Unix() - k.YoungerSecs}, nil
	case *metadatapb.SearchKey_EmailId:
		return compileObjectID("EMAILID", k.EmailId, false)
	case *metadatapb.SearchKey_ThreadId:
		return compileObjectID("THREADID", k.ThreadId, true)
	case nil:
		return nil, invalid("search key with no criterion set")
	default:
		return nil, invalid("unknown search key %T", k)
	}
}

// compileKids compiles the children of AND/OR and orders them cheapest
// first; the order of equally cheap children is kept.
func compileKids(keys []*metadatapb.SearchKey, depth int, now time.Time) ([]node, error) {
	kids := make([]node, 0, len(keys))
	for _, k := range keys {
		n, err := compileKey(k, depth+1, now)
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	sort.SliceStable(kids, func(i, j int) bool { return kids[i].cost() < kids[j].cost() })
	return kids, nil
}

func maxCost(kids []node) cost {
	c := costState
	for _, k := range kids {
		c = max(c, k.cost())
	}
	return c
}

// addressFields are the header fields whose values are address lists
// (RFC 5322 §3.6.2, §3.6.3); they also match with quoting removed.
var addressFields = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "sender": true, "reply-to": true,
}

func compileHeader(h *metadatapb.HeaderMatch) (node, error) {
	if h == nil {
		return nil, invalid("HEADER without field")
	}
	// A field name that is empty or not a valid RFC 5322 §3.6.8 name cannot
	// occur in a stored header, so such a key simply matches nothing.
	name := strings.TrimSpace(h.Field)
	lower := strings.ToLower(name)
	return &headerNode{field: lower, needle: foldString(h.Value), address: addressFields[lower], code: digestCode(lower)}, nil
}

// dateKind selects which of a message's dates a date node compares.
type dateKind uint8

const (
	dateInternal dateKind = iota
	dateSent
	dateSaved
)

func compileDate(d *metadatapb.DateMatch, kind dateKind) (node, error) {
	if d == nil {
		return nil, invalid("date criterion without a date")
	}
	switch d.Op {
	case metadatapb.DateOp_DATE_BEFORE, metadatapb.DateOp_DATE_ON, metadatapb.DateOp_DATE_SINCE:
	default:
		return nil, invalid("unknown date operator %d", int32(d.Op))
	}
	// RFC 9051 §9: date-year is 4DIGIT, date-day 1*2DIGIT of a real day.
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return nil, invalid("invalid date %04d-%02d-%02d", d.Year, d.Month, d.Day)
	}
	t := time.Date(int(d.Year), time.Month(d.Month), int(d.Day), 0, 0, 0, 0, time.UTC)
	if t.Day() != int(d.Day) {
		return nil, invalid("invalid date %04d-%02d-%02d", d.Year, d.Month, d.Day)
	}
	return dateNode{kind: kind, op: d.Op, day: dayNumber(t.Unix(), 0)}, nil
}

// dayNumber is the number of the calendar day (days since 1970-01-01,
// negative before) that unix time secs falls on in a zone offset seconds
// east of UTC.
func dayNumber(secs int64, offset int32) int64 {
	local := secs + int64(offset)
	d := local / 86400
	if local%86400 < 0 {
		d--
	}
	return d
}

// compileObjectID checks an RFC 8474 §6 EMAILID/THREADID search key: the
// argument must be an objectid (§7), compared exactly (ids are case
// sensitive).
func compileObjectID(name, id string, thread bool) (node, error) {
	if !objectid.Valid(id) {
		return nil, invalid("%s argument %q is not an objectid", name, id)
	}
	return objectIDNode{id: id, thread: thread}, nil
}
