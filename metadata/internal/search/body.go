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
	if e.bodies == nil {
		return false, fmt.Errorf("search: BODY/TEXT needs a body source: %w", base.ErrInvalidArgument)
	}
	m := e.msg.Meta
	if m.GetPart() == nil {
		// No MIME tree was stored: search what follows the header as
		// text/plain, which is what a message without MIME headers is
		// (RFC 2045 §5.2).
		return e.searchText(uint64(len(m.GetHeader())), math.MaxUint64, "", "", n.needle)
	}
	return e.searchPart(m.GetPart(), n.needle, n.withHeader, 0)
}

// searchPart searches the body of one MIME entity, not its own header (the
// caller searched it when it counts). RFC 9051 §6.4.4: BODY "doesn't match
// any header fields", so with headers false no header is searched, not
// even an encapsulated message's; TEXT (headers true) matches "the header
// (including MIME header fields)", so the header of every part and of
// every encapsulated message is searched too.
func (e *evaluation) searchPart(p *metadatapb.MimePart, needle []byte, headers bool, depth int) (bool, error) {
	if depth > maxPartDepth {
		return false, nil
	}
	ct := p.GetContentType()
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		for _, c := range p.GetChildren() {
			if headers {
				if ok, err := e.searchHeaderAt(c.GetHeaderOffset(), c.GetHeaderLength(), needle); ok || err != nil {
					return ok, err
				}
			}
			if ok, err := e.searchPart(c, needle, headers, depth+1); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case ct == "message/rfc822" || ct == "message/global":
		inner := p.GetMessage()
		if inner == nil {
			// Unparsed encapsulated message: it is text, search it raw.
			return e.searchText(p.GetBodyOffset(), p.GetBodyLength(), p.GetTransferEncoding(), "", needle)
		}
		if headers {
			if ok, err := e.searchHeaderAt(inner.GetHeaderOffset(), inner.GetHeaderLength(), needle); ok || err != nil {
				return ok, err
			}
		}
		return e.searchPart(inner, needle, headers, depth+1)
	case ct == "" || strings.HasPrefix(ct, "text/"):
		return e.searchText(p.GetBodyOffset(), p.GetBodyLength(), p.GetTransferEncoding(), p.GetCharset(), needle)
	default:
		return false, nil // non-text parts are not searched
	}
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

// searchText streams one text body: transfer-decoded, charset-decoded,
// case-folded, stopping at the first match.
func (e *evaluation) searchText(off, length uint64, cte, cs string, needle []byte) (bool, error) {
	src, err := e.open(off, length)
	if src == nil || err != nil {
		return false, err
	}
	defer src.Close()
	found, rerr := streamContains(e.ctx, decodeText(src, cte, cs), needle)
	return e.readResult(src, found, rerr)
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

// searchHeaderAt searches the header of a part or of an encapsulated
// message, decoded like the top-level header.
func (e *evaluation) searchHeaderAt(off, length uint64, needle []byte) (bool, error) {
	src, err := e.open(off, length)
	if src == nil || err != nil {
		return false, err
	}
	defer src.Close()
	raw, rerr := io.ReadAll(io.LimitReader(src, maxNestedHeader))
	if _, err := e.readResult(src, false, rerr); err != nil {
		return false, err
	}
	var found bool
	found, e.scratch = headerTextContains(e.scratch, parseHeader(raw), needle)
	return found, nil
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
