package threading

import (
	"cmp"
	"errors"
	"slices"
)

// Criterion is one RFC 5256 §3 / RFC 5957 §4 sort key.
type Criterion int

const (
	Arrival Criterion = iota
	Cc
	Date
	From
	Size
	Subject
	To
	DisplayFrom
	DisplayTo
)

// Key is one element of a sort program: a criterion, possibly REVERSEd.
type Key struct {
	By      Criterion
	Reverse bool
}

// ErrUnknownCriterion is returned for a Criterion outside the constants.
var ErrUnknownCriterion = errors.New("threading: unknown sort criterion")

// Sort returns the UIDs of msgs ordered by the program, ties broken by
// ascending UID (mailbox order); REVERSE reverses only its own criterion
// (RFC 5256 §3).
func Sort(msgs []Msg, program []Key) ([]uint32, error) {
	type row struct {
		m    *Msg
		strs []string
		nums []int64
	}
	rows := make([]row, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		r := row{m: m, strs: make([]string, len(program)), nums: make([]int64, len(program))}
		var addrs [3]address
		var has [3]bool
		parsed := false
		addr := func(i int) (address, bool) {
			if !parsed {
				addrs, has = m.firstAddresses()
				parsed = true
			}
			return addrs[i], has[i]
		}
		for j, k := range program {
			switch k.By {
			case Arrival:
				r.nums[j] = m.InternalDate
			case Date:
				r.nums[j] = m.sentDate()
			case Size:
				r.nums[j] = int64(m.Size)
			case Subject:
				b, _ := BaseSubject(m.Subject)
				r.strs[j] = collate(b)
			case From:
				a, _ := addr(0)
				r.strs[j] = collate(mailboxKey(a))
			case To:
				a, _ := addr(1)
				r.strs[j] = collate(mailboxKey(a))
			case Cc:
				a, _ := addr(2)
				r.strs[j] = collate(mailboxKey(a))
			case DisplayFrom:
				r.strs[j] = collate(displayKey(addr(0)))
			case DisplayTo:
				r.strs[j] = collate(displayKey(addr(1)))
			default:
				return nil, ErrUnknownCriterion
			}
		}
		rows[i] = r
	}
	slices.SortFunc(rows, func(a, b row) int {
		for j, k := range program {
			c := cmp.Compare(a.nums[j], b.nums[j])
			if c == 0 {
				c = cmp.Compare(a.strs[j], b.strs[j])
			}
			if k.Reverse {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(a.m.UID, b.m.UID)
	})
	out := make([]uint32, len(rows))
	for i, r := range rows {
		out[i] = r.m.UID
	}
	return out, nil
}
