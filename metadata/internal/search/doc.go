// Package search evaluates IMAP SEARCH criteria (RFC 9051 §6.4.4) over the
// messages of one mailbox, on the metadata node, close to the data.
//
// Everything but BODY and TEXT is answered from the stored records (flags,
// dates, sizes, the stored header block); BODY/TEXT read the body from the
// blob store and match case-insensitively on decoded text (DESIGN.md "Body
// search keeps IMAP semantics"). A trigram index narrows the candidates;
// it never changes the results.
//
// # Trigram index
//
// The package computes what the metadata node's body index stores and
// answers; the node owns storage (schema table 0x30) and the indexer.
//
//   - Extractor / SegmentBuilder compute a message's trigrams: every three
//     consecutive bytes of the case-folded text (trigram.go). The text is
//     produced by the very walk BODY uses (walkBody with a textSink: the
//     matcher's sink looks for the needle, the index's sink collects
//     trigrams), so decoding, folding, which parts count and where one
//     searchable unit ends are the same by construction. Units are: each
//     text part's decoded stream, each field of an encapsulated message's
//     header, and each field of the top-level header ("Name: value", as
//     TEXT reads it) kept apart as KindHeader.
//   - Soundness: a match lies inside one unit, so every trigram of the
//     folded needle is a trigram of that unit, and the message is in the
//     postings of each of them. Needles shorter than three folded bytes
//     cannot be narrowed.
//   - Matcher.IndexQuery is derived at Compile (plan.go): BODY needs its
//     body trigrams, TEXT its body or its header trigrams, AND intersects
//     what it can answer, OR unites only if it can answer every child,
//     NOT and the rest cannot be answered. Candidates evaluates it on one
//     segment; the caller matches every candidate exactly, so postings of
//     expunged messages and any other excess never show in results.
//   - A message whose body could not be read at build time is listed as
//     unindexed and is a candidate of every query.
//
// # Evaluation order
//
// Compile validates a metadatapb.SearchKey tree and turns it into a tree of
// nodes, each with a cost class: state (UID, flags, modseq), meta (dates,
// sizes), header (parse of the stored header block) and body (blob reads).
// AND/OR evaluate their children cheapest first and short-circuit, so a body
// is read only when nothing cheaper decides the message. A compiled Matcher
// is immutable and safe for concurrent use; per-message state lives in an
// evaluation value that Match creates.
//
// # Matching rules and chosen semantics
//
//   - Strings match as case-insensitive substrings under Unicode simple case
//     folding (each rune is replaced by the smallest member of its
//     unicode.SimpleFold orbit, which is what i;unicode-casemap needs minus
//     normalisation). Unicode normalisation (NFC/NFKD) is not applied.
//     Invalid UTF-8 bytes are compared as raw bytes.
//   - HEADER/FROM/TO/CC/BCC/SUBJECT look at every occurrence of the field in
//     the stored top-level header (MessageMeta.header), unfolded and with
//     RFC 2047 encoded-words decoded (go-message charset tables). An empty
//     value matches any message that has the field. For address fields
//     (From, To, Cc, Bcc, Sender, Reply-To) a value also matches the text
//     with quoting removed ("Doe, John" <j@x> matches `Doe, John <j@x>`),
//     close to Dovecot's normalised-address match.
//   - BODY walks the MIME tree (MessageMeta.part). text/* parts (a missing
//     Content-Type counts as text/plain, RFC 2045 §5.2) and message/* leaves
//     (delivery-status, ...) are transfer-decoded (base64,
//     quoted-printable) and charset-decoded to UTF-8, then searched as a
//     stream that stops at the first match. Non-text parts (images,
//     application/*, a malformed type such as "text" without subtype) and
//     parts under an unknown or malformed transfer encoding are not
//     searched, like Dovecot without FTS. No header
//     field is searched (RFC 9051 §6.4.4: BODY "doesn't match any header
//     fields"), not even those of an encapsulated message/rfc822, whose
//     body is; a message/rfc822 without a parsed inner tree is searched as
//     text. Multipart preambles and epilogues are not searched. An unknown
//     charset is searched undecoded; a transfer-encoding error ends the
//     search of that part (what decoded before it counts).
//   - TEXT matches "the header (including MIME header fields) or body"
//     (RFC 9051 §6.4.4): the decoded top-level header ("Name: value" per
//     field), the header of every MIME part and encapsulated message,
//     decoded the same way, or the body as BODY does. Dovecot answers the
//     same (frontend's differential test).
//   - BEFORE/ON/SINCE use the calendar date of internal_date in its own zone
//     (internal_date_zone). SENT* use sent_date in sent_date_zone; a message
//     whose Date: was absent or unparsable (sent_date 0) falls back to the
//     internal date, as Cyrus does (Dovecot 2.3 reads it as 1970-01-01:
//     frontend/testdata/dovediff/DIFFERENCES.md). SAVED* use save_date in UTC
//     (no zone is stored for it); save_date 0 means "not known" and falls
//     back to the internal date (RFC 8514 §4.3).
//   - WITHIN (RFC 5032): OLDER n is internal_date <= now-n, YOUNGER n is
//     internal_date >= now-n, with now given to Compile.
//   - LARGER/SMALLER are strict on size; MODSEQ n is modseq >= n
//     (RFC 7162 §3.1.5); flags and keywords compare case-insensitively.
//   - An AND with no children matches everything (vacuous truth); an OR
//     needs at least two children and a NOT exactly one.
package search
