// Package message analyses a raw RFC 5322 message once, when it is accepted
// (APPEND, delivery, import), and serves body sections from the blob store
// afterwards with range reads (DESIGN.md "No body read for metadata
// answers").
//
// Analyze makes one forward pass over the message and fills a
// metadatapb.MessageMeta: RFC822.SIZE, the pre-rendered ENVELOPE, BODY and
// BODYSTRUCTURE wire strings (RFC 9051 §7.5.2), the raw top-level header,
// the MIME tree with exact byte offsets (MimePart), the Date:, the PREVIEW
// text (RFC 8970) and the decoded header fields SORT/THREAD/SEARCH use.
// OpenSection and BinarySize answer BODY[...] / BINARY[...] / BINARY.SIZE[...]
// (RFC 9051 §6.4.5, RFC 3516) from that tree, reading only the byte range
// the section covers; top-level HEADER and HEADER.FIELDS need no read.
//
// Invariants:
//   - Every offset and length in the MimePart tree lies within [0, Size];
//     a part's header is followed directly by its body.
//   - The message is stored and served exactly as received: lines ending in
//     a bare LF stay bare LF, and RFC822.SIZE is the raw octet count. (Dovecot
//     converts to CRLF on the fly; serving raw keeps every section a plain
//     byte range of the blob, so sizes are exact without reading.)
//   - Analyze never fails on malformed MIME: it reads whatever it is given
//     into the structure Dovecot 2.3 reports for the same octets (part
//     boundaries, sizes, line counts, ENVELOPE, BODY, BODYSTRUCTURE), so
//     that a client sees the same answers from both servers; a multipart
//     without parts gets one empty text/plain child (the BODYSTRUCTURE
//     grammar needs at least one). Work is bounded by maxDepth, maxParts
//     and maxHeaderSize. It fails only when reading fails.
//   - Wire strings are rendered with wire.Encoder in non-UTF8 mode, so any
//     8-bit header byte is sent as a literal, which every client accepts.
//     Envelope fields are the raw header text (encoded-words kept), as
//     Dovecot does: the last of repeated fields, white space runs in the
//     subject and display names collapsed. Structured fields (addresses,
//     Content-Type and its parameters) are read with lexer, RFC 5322 §3.2
//     lexical rules plus Dovecot's recovery from malformed input. Body
//     parameters merge RFC 2231 continuations as RFC 9051 §7.5.2 asks
//     ("foo*" stays in extended form), plain ones first in header order.
//     frontend/testdata/dovediff/DIFFERENCES.md lists where postbus and
//     Dovecot still differ (none in ENVELOPE, BODY, BODYSTRUCTURE), and
//     why; TestDovecotStructures holds Analyze to Dovecot's recorded
//     answers.
//   - Sections that name a part the message lacks fail with ErrNoSuchPart;
//     Dovecot answers those with an empty string, and so does the
//     frontend.
//
// The MIME walker is written by hand over an io.ReaderAt because go-message
// hands out parts as readers without their byte offsets, which range reads
// need. go-message is used for what it does well: charset conversion
// (RFC 2047 encoded words, preview text).
package message
