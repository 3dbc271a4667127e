// Package threading holds the pure algorithms of RFC 5256 (SORT and
// THREAD) and RFC 5957 (SORT=DISPLAY): base subject extraction (§2.1),
// sent dates (§2.2), address sort keys, sorting by a sort program, and the
// ORDEREDSUBJECT and REFERENCES threading algorithms (§3). The metadata
// node runs them next to the data (Node.Sort, Node.Thread), so that only
// UIDs cross the network.
//
// Everything works on small Msg records (decoded subject and address
// lists, dates, size, message ids) identified by UID; the frontend maps
// UIDs to sequence numbers. Invariants: results never drop or duplicate an input
// message, and every tie is broken by mailbox order (ascending UID, which
// is sequence-number order within a session), as RFC 5256 §3 requires.
package threading
