package wire

// This file parses the RFC 8474 OBJECTID search keys EMAILID and THREADID.

// maxObjectID is the longest objectid (RFC 8474 §7: 1*255).
const maxObjectID = 255

// isObjectIDChar reports whether c may occur in an objectid (RFC 8474 §7:
// ALPHA / DIGIT / "_" / "-", the base64url alphabet).
func isObjectIDChar(c byte) bool {
	return isAlnum(c) || c == '_' || c == '-'
}

// ValidObjectID reports whether s is an RFC 8474 §7 objectid.
func ValidObjectID(s string) bool {
	if len(s) == 0 || len(s) > maxObjectID {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isObjectIDChar(s[i]) {
			return false
		}
	}
	return true
}

// objectIDKey reads the objectid of "EMAILID" SP objectid or "THREADID" SP
// objectid (RFC 8474 §6). Ids are case sensitive: kept as sent.
func (d *Decoder) objectIDKey(name string) (*SearchKey, error) {
	// Read up to the next delimiter, not just the objectid characters, so
	// that "M.1" or a quoted string is refused as a bad id rather than as
	// stray arguments after a good one.
	id := d.span(func(c byte) bool { return c > ' ' && c != '(' && c != ')' && c != 0x7f })
	if id == "" {
		return nil, d.errf(name + " needs an objectid")
	}
	if !ValidObjectID(id) {
		return nil, d.errf(name + " argument is not an objectid (1-255 of A-Z a-z 0-9 _ -)")
	}
	op := SearchEmailID
	if name == "THREADID" {
		op = SearchThreadID
	}
	return &SearchKey{Op: op, Value: id}, nil
}
