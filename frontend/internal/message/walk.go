package message

import (
	"strings"

	"github.com/postbus/postbus/proto/metadatapb"
)

// Limits on the work Analyze does for one message, whatever its shape. Past
// maxDepth or maxParts, multiparts and encapsulated messages are treated as
// opaque text/plain leaves and further parts of a multipart are skipped;
// header bytes past maxHeaderSize are counted but not parsed.
const (
	maxDepth      = 64
	maxParts      = 10000
	maxHeaderSize = 1 << 20
	maxLineKeep   = 4096     // body line prefix kept, enough for any boundary (RFC 2046: ≤ 70)
	previewBytes  = 8 * 1024 // raw body kept for PREVIEW: 200 characters even of HTML
)

// node is one MIME entity while analysing: its MimePart plus what the
// renderers need from its header.
type node struct {
	part     *metadatapb.MimePart
	rawHdr   []byte // the header block (at most maxHeaderSize bytes)
	hdr      header
	typ, sub string  // lower-case media type and subtype, after fallbacks
	params   []param // Content-Type parameters in header order
	children []*node
	msg      *node // encapsulated message (message/rfc822, message/global)
	bodyLFs  int64 // LFs in the body
}

// param is one decoded Content-Type or Content-Disposition parameter.
type param struct{ name, value string }

// term says how a body ended: at the boundary line bounds[idx] (idx < 0:
// at the end of the message), at offset end with lfs LFs before end.
type term struct {
	idx     int
	isClose bool
	end     int64
	lfs     int64
}

// walker makes the single forward pass of Analyze.
type walker struct {
	s      *scanner
	bounds []string // active multipart boundaries, innermost last
	parts  int
	// Preview capture: the raw body of the first text/plain part (or of the
	// first text/html part while no text/plain was seen), bounded.
	preview     *node
	previewBody []byte
}

// entity parses one entity, header and body, starting at the scanner's
// position. defType is the media type when Content-Type is absent
// ("text/plain", or "message/rfc822" inside multipart/digest, RFC 2046 §5.1.5).
func (w *walker) entity(depth int, defType string) (*node, term, error) {
	w.parts++
	n := &node{part: &metadatapb.MimePart{HeaderOffset: uint64(w.s.pos)}}
	t, hasBody, err := w.header(n)
	if err != nil {
		return nil, t, err
	}
	bodyStart := int64(n.part.BodyOffset)
	n.hdr = parseHeader(n.rawHdr)
	n.classify(defType, depth >= maxDepth || w.parts >= maxParts)

	if hasBody {
		startLFs := w.s.lfs
		switch {
		case n.typ == "multipart":
			t, err = w.multipart(n, depth, bodyStart)
		case n.isMessage():
			n.msg, t, err = w.entity(depth+1, "text/plain")
		default:
			t, err = w.leaf(n, bodyStart)
		}
		if err != nil {
			return nil, t, err
		}
		if t.end > bodyStart {
			n.bodyLFs = t.lfs - startLFs
		}
	}
	n.part.BodyLength = uint64(t.end - bodyStart)
	if n.typ == "text" || n.isMessage() {
		n.part.Lines = uint32(min(n.bodyLFs, 1<<32-1))
	}
	for _, c := range n.children {
		n.part.Children = append(n.part.Children, c.part)
	}
	if n.msg != nil {
		n.part.Message = n.msg.part
	}
	return n, t, nil
}

// header reads n's header block: up to and including the blank line
// (hasBody), or up to a boundary line or EOF, which also end the entity
// (t says how). It sets HeaderLength and BodyOffset.
func (w *walker) header(n *node) (t term, hasBody bool, err error) {
	s := w.s
	hdrStart := s.pos
	for {
		ok, err := s.next(maxHeaderSize - len(n.rawHdr) + maxLineKeep)
		if err != nil {
			return t, false, err
		}
		if !ok {
			t = term{idx: -1, end: s.pos, lfs: s.lfs}
			break
		}
		if idx, isClose := w.boundary(); idx >= 0 {
			// A header cut short by a boundary: no body, and the line
			// break before the boundary belongs to the boundary.
			end := max(s.start-int64(s.prevBrk), hdrStart)
			t = term{idx: idx, isClose: isClose, end: end}
			break
		}
		if room := maxHeaderSize - len(n.rawHdr); room > 0 {
			n.rawHdr = append(n.rawHdr, s.text[:min(len(s.text), room)]...)
		}
		if s.blank() {
			hasBody = true
			break
		}
	}
	bodyStart := s.pos
	if !hasBody {
		bodyStart = t.end
	}
	n.part.HeaderLength = uint64(bodyStart - hdrStart)
	n.part.BodyOffset = uint64(bodyStart)
	return t, hasBody, nil
}

// classify sets n's media type, parameters, encoding and charset from its
// header, with the fallbacks that keep the walk possible and bounded:
// limited (depth or part count reached) turns containers into leaves.
func (n *node) classify(defType string, limited bool) {
	n.parseContentType(defType)
	n.part.TransferEncoding = n.cte()
	if n.isMessage() && !identityCTE(n.part.TransferEncoding) {
		// An encoded message cannot be walked; present it as an
		// attachment rather than as a message without envelope.
		n.typ, n.sub = "application", "octet-stream"
	}
	if (n.typ == "multipart" || n.isMessage()) && limited {
		n.typ, n.sub, n.params = "text", "plain", []param{{"charset", "us-ascii"}}
	}
	if n.typ == "multipart" && n.boundary() == "" {
		// RFC 2046 §5.1.1 requires the parameter; without it the body
		// cannot be split. As text/plain (RFC 2045 §5.2's advice for an
		// invalid Content-Type) the content stays readable as part 1;
		// Dovecot reports an empty part instead (DIFFERENCES.md).
		n.typ, n.sub, n.params = "text", "plain", []param{{"charset", "us-ascii"}}
	}
	n.part.ContentType = n.typ + "/" + n.sub
	for _, p := range n.params {
		if p.name == "charset" {
			n.part.Charset = p.value
			break
		}
	}
}

// boundary returns the index in w.bounds of the boundary the current line
// delimits, or -1. When several match (one boundary a prefix of another),
// the longest wins, then the innermost.
func (w *walker) boundary() (int, bool) {
	if w.s.length < 3 || w.s.text[0] != '-' {
		return -1, false
	}
	best, bestClose := -1, false
	for i := len(w.bounds) - 1; i >= 0; i-- {
		if best >= 0 && len(w.bounds[i]) <= len(w.bounds[best]) {
			continue
		}
		if ok, isClose := w.s.matchBoundary(w.bounds[i]); ok {
			best, bestClose = i, isClose
		}
	}
	return best, bestClose
}

// scanBody reads lines up to a boundary of an enclosing multipart or EOF.
// The line break before a boundary belongs to the delimiter (RFC 2046
// §5.1.1), not to the body. With capture it keeps the first bytes in
// w.previewBody.
func (w *walker) scanBody(bodyStart int64, capture bool) (term, error) {
	s := w.s
	for {
		ok, err := s.next(maxLineKeep)
		if err != nil {
			return term{}, err
		}
		if !ok {
			return term{idx: -1, end: s.pos, lfs: s.lfs}, nil
		}
		if idx, isClose := w.boundary(); idx >= 0 {
			t := term{idx: idx, isClose: isClose, end: s.start - int64(s.prevBrk), lfs: s.lfs - int64(min(s.brk, 1))}
			if s.prevBrk > 0 {
				t.lfs--
			}
			if t.end < bodyStart {
				t.end = bodyStart
			}
			return t, nil
		}
		if capture && len(w.previewBody) < previewBytes {
			room := previewBytes - len(w.previewBody)
			w.previewBody = append(w.previewBody, s.text[:min(len(s.text), room)]...)
			if s.truncated {
				capture = false // keep the text contiguous
			}
		}
	}
}

func (w *walker) leaf(n *node, bodyStart int64) (term, error) {
	capture := false
	if n.typ == "text" && (n.sub == "plain" || n.sub == "html") && !n.isAttachment() {
		if w.preview == nil || (w.preview.sub == "html" && n.sub == "plain") {
			w.preview, w.previewBody, capture = n, w.previewBody[:0], true
		}
	}
	return w.scanBody(bodyStart, capture)
}

// multipart walks the body of a multipart entity: preamble, parts,
// epilogue (RFC 2046 §5.1.1).
func (w *walker) multipart(n *node, depth int, bodyStart int64) (term, error) {
	w.bounds = append(w.bounds, n.boundary())
	mine := len(w.bounds) - 1
	defer func() { w.bounds = w.bounds[:mine] }()

	childType := "text/plain"
	if n.sub == "digest" {
		childType = "message/rfc822"
	}
	t, err := w.scanBody(bodyStart, false) // preamble
	for err == nil && t.idx == mine && !t.isClose {
		if w.parts >= maxParts {
			// Past the limit the remaining parts are skipped: they
			// stay inside this multipart's body but get no MimePart
			// (the metadata record and BODYSTRUCTURE stay bounded).
			t, err = w.scanBody(bodyStart, false)
			continue
		}
		var c *node
		c, t, err = w.entity(depth+1, childType)
		if err == nil {
			n.children = append(n.children, c)
		}
	}
	if err != nil {
		return t, err
	}
	if t.idx == mine {
		// Close delimiter: the epilogue runs to an outer boundary.
		w.bounds = w.bounds[:mine]
		t, err = w.scanBody(bodyStart, false)
	}
	if len(n.children) == 0 {
		// The grammar needs at least one part (RFC 9051 §9 body-type-mpart);
		// like Dovecot, report one empty text/plain part.
		n.children = []*node{{
			part: &metadatapb.MimePart{
				HeaderOffset: uint64(bodyStart), BodyOffset: uint64(bodyStart),
				ContentType: "text/plain", Charset: "us-ascii",
			},
			typ: "text", sub: "plain", params: []param{{"charset", "us-ascii"}},
		}}
	}
	return t, err
}

// parseContentType sets typ, sub and params from Content-Type (RFC 2045 §5),
// falling back to text/plain; charset=us-ascii (RFC 2045 §5.2) when the
// field is absent or its media type unparseable.
func (n *node) parseContentType(defType string) {
	v, ok := n.hdr.get("Content-Type")
	if ok && v != "" {
		mt, ps := parseParamField(v)
		typ, sub, _ := strings.Cut(mt, "/")
		typ, sub = strings.TrimSpace(typ), strings.TrimSpace(sub)
		if isToken(typ) && isToken(sub) {
			n.typ, n.sub, n.params = typ, sub, ps
			n.defaultCharset()
			return
		}
		defType = "text/plain"
	}
	n.typ, n.sub, _ = strings.Cut(defType, "/")
	n.defaultCharset()
}

// isToken reports whether s is a non-empty RFC 2045 §5.1 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// defaultCharset adds charset=us-ascii to text/* without one: RFC 2045
// §5.2 makes it the default, and Dovecot reports it explicitly.
func (n *node) defaultCharset() {
	if n.typ != "text" {
		return
	}
	for _, p := range n.params {
		if p.name == "charset" {
			return
		}
	}
	n.params = append(n.params, param{"charset", "us-ascii"})
}

func (n *node) boundary() string {
	for _, p := range n.params {
		if p.name == "boundary" {
			return p.value
		}
	}
	return ""
}

// cte returns the lower-case Content-Transfer-Encoding mechanism (RFC 2045
// §6.1), "" when absent; a trailing comment or junk is ignored.
func (n *node) cte() string {
	v, _ := n.hdr.get("Content-Transfer-Encoding")
	if i := strings.IndexAny(v, " \t(;"); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(v)
}

func (n *node) isMessage() bool {
	return n.typ == "message" && (n.sub == "rfc822" || n.sub == "global")
}

func (n *node) isAttachment() bool {
	v, _ := n.hdr.get("Content-Disposition")
	d, _, _ := strings.Cut(v, ";")
	return strings.EqualFold(strings.TrimSpace(d), "attachment")
}

// identityCTE reports whether enc leaves the octets as they are (RFC 2045
// §6.2: 7bit, 8bit, binary; "" means 7bit).
func identityCTE(enc string) bool {
	switch enc {
	case "", "7bit", "8bit", "binary":
		return true
	}
	return false
}
