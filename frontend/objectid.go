package frontend

import (
	"errors"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// RFC 8474 OBJECTID. The metadata node allocates every id (MAILBOXID in
// Mailbox.object_id, EMAILID and THREADID in MessageMeta); this file only
// puts them on the wire. OBJECTID has no ENABLE: once advertised, the
// FETCH items, the STATUS item and the SEARCH keys are available in every
// session (§3).

// objectIDCaps is advertised in every state (RFC 8474 §3).
var objectIDCaps = []string{"OBJECTID"}

// errNoObjectID reports a record from the metadata node without a valid
// id, which a store migrated to schema 4 never has: answered NO, never
// written as an id that breaks the grammar.
var errNoObjectID = errors.New("frontend: metadata returned no valid object id")

// mailboxIDCode is the MAILBOXID response code of mb (RFC 8474 §4.1, §4.2:
// "MAILBOXID" SP "(" objectid ")").
func mailboxIDCode(mb *metadatapb.Mailbox) (string, error) {
	if !wire.ValidObjectID(mb.GetObjectId()) {
		return "", errNoObjectID
	}
	return "MAILBOXID (" + mb.ObjectId + ")", nil
}

// checkObjectIDs verifies, before a FETCH response is started, that rec
// has the ids the items ask for: a response cut in the middle could not
// become a tagged NO any more.
func checkObjectIDs(rec *metadatapb.MessageRecord, items []wire.FetchItem) error {
	for _, it := range items {
		switch it.Name {
		case "EMAILID":
			if !wire.ValidObjectID(rec.GetEmailId()) {
				return errNoObjectID
			}
		case "THREADID":
			if id := rec.GetThreadId(); id != "" && !wire.ValidObjectID(id) {
				return errNoObjectID
			}
		}
	}
	return nil
}

// writeObjectIDItem writes the EMAILID or THREADID data item of rec
// (RFC 8474 §5.3), fetched with FetchRequest.want_object_ids. A message
// without a THREADID is answered NIL, which §5.3 defines for messages the
// server did not thread.
func (c *conn) writeObjectIDItem(name string, rec *metadatapb.MessageRecord) {
	id := rec.GetEmailId()
	if name == "THREADID" {
		id = rec.GetThreadId()
	}
	c.enc.Raw(name).SP()
	if id == "" {
		c.enc.Raw("NIL")
		return
	}
	c.enc.Raw("(").Raw(id).Raw(")")
}
