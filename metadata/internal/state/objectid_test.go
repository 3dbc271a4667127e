package state

import (
	"fmt"
	"strconv"

	"github.com/postbus/postbus/metadata/internal/objectid"
)

// aliases names the object ids a script sees by kind and order of first
// appearance (F1, M1, M2, T1, ...), so that scripts show which ids are
// equal without spelling 25-character HMACs. An id that is not a valid
// objectid is shown as INVALID(...), an empty one as NIL.
type aliases struct {
	byID  map[string]string
	count map[byte]int
}

func (a *aliases) name(id string) string {
	if id == "" {
		return "NIL"
	}
	if !objectid.Valid(id) || len(id) != 25 {
		return fmt.Sprintf("INVALID(%q)", id)
	}
	if a.byID == nil {
		a.byID, a.count = map[string]string{}, map[byte]int{}
	}
	if n, ok := a.byID[id]; ok {
		return n
	}
	a.count[id[0]]++
	n := string(id[0]) + strconv.Itoa(a.count[id[0]])
	a.byID[id] = n
	return n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
