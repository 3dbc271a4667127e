package objectid

import "strings"

// MaxRefs bounds how many References ids (the nearest parents) a message
// is threaded by: a hostile References header of thousands of ids must not
// cost thousands of lookups and table entries.
const MaxRefs = 20

// Lookup returns the thread a Message-ID is mapped to in the user's thread
// table, found=false if none.
type Lookup func(msgID string) (thread string, found bool, err error)

// Refs returns the Message-IDs that thread a message, normalised (RFC 5322
// §3.6.4 msg-id without the angle brackets) and without duplicates: its own
// Message-ID first, then In-Reply-To, then the References from the last
// (the parent) backwards, at most MaxRefs of them.
func Refs(messageID, inReplyTo string, references []string) []string {
	out := make([]string, 0, 2+min(len(references), MaxRefs))
	add := func(id string) {
		id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
		if id == "" {
			return
		}
		for _, o := range out {
			if o == id {
				return
			}
		}
		out = append(out, id)
	}
	add(messageID)
	add(inReplyTo)
	for i, n := len(references)-1, 0; i >= 0 && n < MaxRefs; i, n = i-1, n+1 {
		add(references[i])
	}
	return out
}

// Thread returns the THREADID of a new message whose ids are Refs(...) and
// whose EMAILID is emailID (RFC 8474 §5.2): the thread of the first of its
// ids already in the table (its own Message-ID first: a reply that arrived
// earlier, or the same message appended before, registered it), else a new
// thread named after the message itself. The caller then maps every id of
// ids not yet in the table to the result, so that later replies, and a
// parent that arrives after its reply, join the thread.
//
// Messages with the same EMAILID have the same body, so the same ids: the
// second one finds its own Message-ID (or, without one, the same parents,
// or none) and gets the same THREADID, as §5.2 requires.
func Thread(ids []string, emailID string, lookup Lookup) (string, error) {
	for _, id := range ids {
		t, ok, err := lookup(id)
		if err != nil {
			return "", err
		}
		if ok {
			return t, nil
		}
	}
	return ThreadOf(emailID), nil
}
