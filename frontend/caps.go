package frontend

import (
	"strconv"
	"strings"
)

// alwaysCaps are advertised in every state: each one is implemented.
var alwaysCaps = []string{
	"LITERAL+",           // RFC 7888
	"ENABLE",             // RFC 5161
	"IDLE",               // RFC 2177
	"NAMESPACE",          // RFC 2342
	"UNSELECT",           // RFC 3691
	"UIDPLUS",            // RFC 4315
	"MOVE",               // RFC 6851
	"ID",                 // RFC 2971
	"CHILDREN",           // RFC 3348
	"LIST-EXTENDED",      // RFC 5258
	"LIST-STATUS",        // RFC 5819
	"SPECIAL-USE",        // RFC 6154
	"CREATE-SPECIAL-USE", // RFC 6154 §3
	"ESEARCH",            // RFC 4731
	"SEARCHRES",          // RFC 5182
	"BINARY",             // RFC 3516
	"STATUS=SIZE",        // RFC 8438
	"SAVEDATE",           // RFC 8514
	"PREVIEW",            // RFC 8970 (fetch.go; computed at delivery)
	"WITHIN",             // RFC 5032 (SEARCH OLDER/YOUNGER)
	"MULTIAPPEND",        // RFC 3502
	"UNAUTHENTICATE",     // RFC 8437
	"NOTIFY",             // RFC 5465 (notify.go)
}

// capabilities is the CAPABILITY list for the connection's current state
// (RFC 9051 §6.1.1, §6.2.1: no AUTH= and LOGINDISABLED before TLS).
func (c *conn) capabilities() string {
	caps := []string{"IMAP4rev1", "IMAP4rev2"}
	if c.state == stateNotAuth {
		if !c.isTLS && !c.implicit {
			caps = append(caps, "STARTTLS")
		}
		if c.isTLS || c.srv.cfg.InsecureAuth {
			caps = append(caps, "AUTH=PLAIN", "SASL-IR")
		} else {
			caps = append(caps, "LOGINDISABLED")
		}
	}
	caps = append(caps, alwaysCaps...)
	caps = append(caps, quotaCaps...) // quota.go
	caps = append(caps, condCaps...)  // condstore.go
	caps = append(caps, sortCaps...)  // sort.go
	caps = append(caps, catCaps...)   // catenate.go
	caps = append(caps, "APPENDLIMIT="+strconv.FormatInt(c.srv.cfg.Limits.MaxLiteral, 10))
	caps = append(caps, objectIDCaps...) // objectid.go
	caps = append(caps, metadataCaps...) // annotate.go
	caps = append(caps, "UTF8=ACCEPT")   // RFC 6855 (utf8accept.go)
	if c.state != stateNotAuth && c.z == nil {
		// RFC 4978 §5: COMPRESS is a command-auth; once it is active a
		// second one is refused (compress.go).
		caps = append(caps, "COMPRESS=DEFLATE")
	}
	return strings.Join(caps, " ")
}
