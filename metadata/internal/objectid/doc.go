// Package objectid derives the RFC 8474 object identifiers of a user's
// mailboxes and messages, and assigns messages to threads.
//
// Every id is "prefix letter + 24 base64url characters": F for a MAILBOXID,
// M for an EMAILID, T for a THREADID (the prefixes of the RFC's examples).
// The letter keeps ids from starting with a digit or dash and keeps the
// three kinds apart (RFC 8474 §5.2, §8.1).
//
// The 24 characters are the first 18 bytes of an HMAC-SHA256 under the
// user's object key (schema.UserRecord.ObjectKey), so:
//   - MAILBOXID = HMAC(key, "mailbox" || id): mailbox ids are never reused
//     by a user, and a user deleted and created again gets a new key, so a
//     MAILBOXID never names two mailboxes (RFC 8474 §4);
//   - EMAILID = HMAC(key, "email" || SHA-256 of the body): identical
//     content of one user shares an EMAILID, which §5.1 allows, and COPY or
//     MOVE keep it because the destination has the same body. The key makes
//     the id of the same body differ between users, so ids neither reveal
//     the body's digest (§11) nor let two users find out that they hold the
//     same message;
//   - a THREADID is the EMAILID, with prefix T, of the first message of the
//     thread the node saw (RFC 8474 Appendix A), see Thread.
//
// 144 bits make a collision among one user's ids negligible. Nothing here
// reads a clock or a random source: the state machine stays deterministic.
package objectid
