package search

import (
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-message/charset"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

const (
	// maxPartDepth bounds the recursion over a stored MIME tree; deeper
	// parts are not searched. The tree comes from our own parser, so this
	// only guards against a corrupt record.
	maxPartDepth = 64
	// maxNestedHeader is the most of an encapsulated message's header that
	// is read to search it; headers are parsed whole to unfold and decode.
	maxNestedHeader = 256 << 10
)

// bodyNode matches BODY (and TEXT when withHeader): RFC 9051 §6.4.4, a
// substring of the decoded body text. See the package documentation for
// which parts are searched.
type bodyNode struct {
	needle     []byte // folded
	withHeader bool   // TEXT: the top-level header counts too
}

func (*bodyNode) cost() cost { return costBody }

func (n *bodyNode) eval(e *evaluation) (bool, error) {
	if len(n.needle) == 0 {
		return true, nil // the empty string is in every message
	}
	if n.withHeader {
		var ok bool
		if ok, e.scratch = headerTextContains(e.scratch, e.header(), n.needle); ok {
			return true, nil
		}
	}
	e.find = needleSink{e: e, needle: n.needle}
	return e.walkBody(&e.find, n.withHeader)
}

// textSink receives the searchable text of a message body, unit by unit,
// in the order the walk visits them: a match never spans two units. The
// matcher (needleSink) and the trigram index builder (trigramSink) are the
// two sinks, so that the index is built from exactly the text BODY
// searches.
type textSink interface {
	// text receives one text part, transfer- and charset-decoded but not
	// folded. stop ends the walk; err is an error of r (a decoding error
	// or the blob read's, which the walk tells apart).
	text(r io.Reader) (stop bool, err error)
	// header receives the parsed header of an encapsulated message; each
	// field, read as "Name: value", is one unit.
	header(h *header) (stop bool)
}

// needleSink stops at the first unit that contains needle (folded).
type needleSink struct {
	e      *evaluation
	needle []byte
}

func (s *needleSink) text(r io.Reader) (bool, error) {
	return streamContains(s.e.ctx, r, s.needle)
}

func (s *needleSink) header(h *header) bool {
	var found bool
	found, s.e.scratch = headerTextContains(s.e.scratch, h, s.needle)
	return found
}

// walkBody gives the body text of the message to s (see the package
// documentation for which parts count), with headers the headers of its
// parts and encapsulated messages too. It reports whether s stopped the
// walk.
func (e *evaluation) walkBody(s textSink, headers bool) (bool, error) {
	if e.bodies == nil {
		return false, fmt.Errorf("search: BODY/TEXT needs a body source: %w", base.ErrInvalidArgument)
	}
	m := e.msg.Meta
	if m.GetPart() == nil {
		// No MIME tree was stored: search what follows the header as
		// text/plain, which is what a message without MIME headers is
		// (RFC 2045 §5.2).
		return e.walkText(uint64(len(m.GetHeader())), math.MaxUint64, "", "", s)
	}
	return e.walkPart(m.GetPart(), s, headers, 0)
}

// walkPart walks the body of one MIME entity, not its own header (the
// caller walked it when it counts). RFC 9051 §6.4.4: BODY "doesn't match
// any header fields", so with headers false no header is walked, not even
// an encapsulated message's; TEXT (headers true) matches "the header
// (including MIME header fields)", so the header of every part and of
// every encapsulated message is walked too.
func (e *evaluation) walkPart(p *metadatapb.MimePart, s textSink, headers bool, depth int) (bool, error) {
	if depth > maxPartDepth {
		return false, nil
	}
	ct := p.GetContentType()
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		for _, c := range p.GetChildren() {
			if headers {
				if ok, err := e.walkHeaderAt(c.GetHeaderOffset(), c.GetHeaderLength(), s); ok || err != nil {
					return ok, err
				}
			}
			if ok, err := e.walkPart(c, s, headers, depth+1); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case ct == "message/rfc822" || ct == "message/global":
		inner := p.GetMessage()
		if inner == nil {
			// Unparsed encapsulated message: it is text, search it raw.
			return e.walkText(p.GetBodyOffset(), p.GetBodyLength(), p.GetTransferEncoding(), "", s)
		}
		if headers {
			if ok, err := e.walkHeaderAt(inner.GetHeaderOffset(), inner.GetHeaderLength(), s); ok || err != nil {
				return ok, err
			}
		}
		return e.walkPart(inner, s, headers, depth+1)
	case searchable(ct, p.GetTransferEncoding()):
		return e.walkText(p.GetBodyOffset(), p.GetBodyLength(), p.GetTransferEncoding(), p.GetCharset(), s)
	default:
		return false, nil // non-text parts are not searched
	}
}

// searchable reports whether a leaf with media type ct ("type/subtype" as
// stored) and transfer encoding cte is searched as text, as Dovecot
// decides (frontend/testdata/dovediff/DIFFERENCES.md): text/* with a
// subtype ("text" alone or "text/" is a malformed type), any other
// message/* (delivery-status, partial, ...), and no Content-Type at all
// (RFC 2045 §5.2); and only under an encoding the walk can read: a body
// under an unknown or malformed encoding ("x-uuencode", "base64 junk")
// is not searched at all, rather than searched as encoded text.
func searchable(ct, cte string) bool {
	switch strings.ToLower(cte) {
	case "", "7bit", "8bit", "binary", "base64", "quoted-printable":
	default:
		return false
	}
	typ, sub, _ := strings.Cut(ct, "/")
	return ct == "" || (typ == "text" || typ == "message") && sub != ""
}

// blobRange converts a stored offset and length to BodySource arguments;
// ok is false for a range that cannot exist (a corrupt record).
func blobRange(off, length uint64) (int64, int64, bool) {
	if off > math.MaxInt64 {
		return 0, 0, false
	}
	if length > math.MaxInt64-off {
		return int64(off), -1, true // to the end: the blob is what it is
	}
	return int64(off), int64(length), true
}

// open opens a range of the message's blob. It returns a nil reader and
// no error when there is nothing to read (an empty or impossible range).
// The caller closes the reader.
func (e *evaluation) open(off, length uint64) (*trackReader, error) {
	o, l, ok := blobRange(off, length)
	if !ok || l == 0 {
		return nil, nil
	}
	rc, err := e.bodies.Open(e.ctx, e.msg.Meta.GetBlobId(), o, l)
	if err != nil {
		return nil, fmt.Errorf("search: read blob %s of uid %d: %w", e.msg.Meta.GetBlobId(), e.msg.UID, err)
	}
	return &trackReader{r: rc, Closer: rc}, nil
}

// walkText gives one text body to s: transfer-decoded, charset-decoded.
func (e *evaluation) walkText(off, length uint64, cte, cs string, s textSink) (bool, error) {
	src, err := e.open(off, length)
	if src == nil || err != nil {
		return false, err
	}
	defer src.Close()
	stop, rerr := s.text(decodeText(src, cte, cs))
	return e.readResult(src, stop, rerr)
}

// readResult sorts out how a streamed read ended: an error of the blob
// read or of the context fails the search; an error of the content
// (malformed base64, ...) only ends the search of that part.
func (e *evaluation) readResult(src *trackReader, found bool, rerr error) (bool, error) {
	if src.err != nil {
		return false, fmt.Errorf("search: read blob %s of uid %d: %w", e.msg.Meta.GetBlobId(), e.msg.UID, src.err)
	}
	if err := e.ctx.Err(); err != nil {
		return false, err
	}
	_ = rerr // a decoding error: the part's text ends there
	return found, nil
}

// walkHeaderAt gives the header of a part or of an encapsulated message
// to s, parsed and decoded like the top-level header.
func (e *evaluation) walkHeaderAt(off, length uint64, s textSink) (bool, error) {
	src, err := e.open(off, length)
	if src == nil || err != nil {
		return false, err
	}
	defer src.Close()
	raw, rerr := io.ReadAll(io.LimitReader(src, maxNestedHeader))
	if _, err := e.readResult(src, false, rerr); err != nil {
		return false, err
	}
	return s.header(parseHeader(raw)), nil
}

// decodeText wraps r with the decoders that turn a part body into UTF-8
// text: the content-transfer-encoding (RFC 2045 §6) and then the charset.
// 7bit, 8bit, binary and unknown encodings pass through.
func decodeText(r io.Reader, cte, cs string) io.Reader {
	switch strings.ToLower(cte) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &base64Filter{r: r})
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	switch strings.ToLower(cs) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		// Already UTF-8 (or meant to be); 8-bit bytes in "us-ascii" text
		// are matched as they are.
		return r
	}
	if cr, err := charset.Reader(cs, r); err == nil {
		return cr
	}
	return r // unknown charset: search the bytes undecoded
}

// trackReader remembers the first error of the blob read itself, so that
// it can be told apart from errors of the decoders stacked above it.
type trackReader struct {
	io.Closer
	r   io.Reader
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// base64Filter drops everything that is not in the base64 alphabet (line
// breaks, stray white space) before decoding, as lenient mail readers do.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		w := 0
		for _, c := range p[:n] {
			if ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '+' || c == '/' || c == '=' {
				p[w] = c
				w++
			}
		}
		if w > 0 || err != nil {
			return w, err
		}
	}
}
