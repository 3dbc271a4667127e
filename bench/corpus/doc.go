// Package corpus supplies the mail a benchmark loads: a deterministic,
// seeded generator of realistic messages, or an existing mbox file or
// Maildir.
//
// The generator is random-access: message i of user u is a pure function of
// (Seed, u, i), so loaders may render messages in any order and in parallel,
// and two runs with one seed produce identical bytes. Its metadata (Meta) is
// cheaper still to compute than the message, and says which searchable
// tokens a message carries, so workloads know the exact hit count of every
// query they send (Expect) without asking the server.
//
// Tokens are short ASCII strings such as "zqs07x" that occur nowhere else in
// the corpus (the filler text never contains "zq"); each sits in exactly
// one place: zqfNNx in the From address, zqtNNx in the To address, zqsNNx in
// the Subject (shared by a thread), zqbNNx in the body text (in the plain and
// the HTML alternative alike). The fixed width and the closing "x" keep one
// token from being a substring of another.
//
// Generated messages use CRLF line endings and parse with go-message; they
// carry RFC 2047 encoded UTF-8 headers, multipart/alternative and
// multipart/mixed bodies with base64 attachments (a long tail up to
// Config.MaxAttachment), threads (In-Reply-To/References), mailing-list
// headers and text in several languages, in 7bit, 8bit, quoted-printable
// and base64 transfer encodings.
package corpus
