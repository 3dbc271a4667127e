package message

import (
	"bytes"
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
	notMIME  bool  // a message without MIME-Version and Content-Type: its Content-* fields are not reported
}

// param is one decoded Content-Type or Content-Disposition parameter.
type param struct{ name, value string }

// term says how a body ended: at the boundary line bounds[idx] (idx < 0:
// at the end of the message), at offset end with lfs LFs before end.
type term struct {
	idx     int
	isClose bool
	last    bool // the boundary line is the message's last, without line break
	end     int64
	lfs     int64
	hdrEnd  int64 // where a header cut short by the boundary ends (see header)
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
// bodyPart is true for a part of a multipart, false for a message (the
// top level or an encapsulated one).
func (w *walker) entity(depth int, defType string, bodyPart bool) (*node, term, error) {
	w.parts++
	n := &node{part: &metadatapb.MimePart{HeaderOffset: uint64(w.s.pos)}}
	t, hasBody, err := w.header(n)
	if err != nil {
		return nil, t, err
	}
	n.hdr = parseHeader(n.rawHdr)
	if !bodyPart {
		// RFC 2045 §4: a message's Content-* fields are MIME only with a
		// MIME-Version field; Dovecot also takes a Content-Type field as
		// the mark. Without either it reports none of them (BINARY and
		// SEARCH still decode the body by its encoding, as Dovecot does).
		_, mv := n.hdr.get("MIME-Version")
		_, ct := n.hdr.get("Content-Type")
		n.notMIME = !mv && !ct
	}
	n.classify(defType, depth >= maxDepth || w.parts >= maxParts)
	if hasBody {
		var cut bool
		if t, cut, err = w.cutAfterHeader(n); err != nil {
			return nil, t, err
		}
		hasBody = !cut
	}
	bodyStart := int64(n.part.BodyOffset)

	switch {
	case !hasBody:
		// No body; t.end may lie past bodyStart, on the line break the
		// header gave up, which belongs to the parent.
		if n.isMessage() {
			// Still a message, an empty one (what Dovecot reports).
			n.msg = w.emptyNode(bodyStart, "text/plain")
		}
		if n.typ == "multipart" {
			n.children = []*node{w.emptyNode(bodyStart, "text/plain")}
		}
	default:
		startLFs := w.s.lfs
		switch {
		case n.typ == "multipart":
			t, err = w.multipart(n, depth, bodyStart)
		case n.isMessage():
			n.msg, t, err = w.entity(depth+1, "text/plain", false)
		default:
			t, err = w.leaf(n, bodyStart)
		}
		if err != nil {
			return nil, t, err
		}
		if t.end > bodyStart {
			n.bodyLFs = t.lfs - startLFs
		}
		n.part.BodyLength = uint64(t.end - bodyStart)
	}
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

// emptyNode is an entity with neither header nor body at off: the child
// the BODYSTRUCTURE grammar needs in a multipart without parts (RFC 9051 §9
// body-type-mpart), or the message of a message/rfc822 part without
// content. Like Dovecot, it is reported as an empty text/plain part.
func (w *walker) emptyNode(off int64, defType string) *node {
	n := &node{part: &metadatapb.MimePart{HeaderOffset: uint64(off), BodyOffset: uint64(off)}}
	n.classify(defType, true)
	return n
}

// header reads n's header block: up to and including the blank line
// (hasBody), or up to a boundary line or EOF, which also end the entity
// (t says how). It sets HeaderLength and BodyOffset.
//
// A header cut short by a boundary does not keep the line break of its
// last line: the CRLF before a boundary belongs to the boundary (RFC 2046
// §5.1.1). Dovecot then counts that line break in the enclosing entity's
// body, which matters when that is a message/rfc822 part: its body runs to
// the boundary line, while the message inside ends before the line break.
// postbus does the same (t.end is the start of the boundary line), so that
// sizes and sections agree with Dovecot's.
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
			t = w.cutTerm(idx, isClose, hdrStart)
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
	hdrEnd := s.pos
	if !hasBody {
		hdrEnd = t.hdrEnd
		if t.idx < 0 {
			hdrEnd = t.end
		}
	}
	n.part.HeaderLength = uint64(hdrEnd - hdrStart)
	n.part.BodyOffset = uint64(hdrEnd)
	return t, hasBody, nil
}

// cutTerm is the term of an entity whose header the boundary line just
// read cuts short (see header): the header ends before the line break
// that precedes the boundary line, when that line break is the header's.
func (w *walker) cutTerm(idx int, isClose bool, hdrStart int64) term {
	s := w.s
	t := term{idx: idx, isClose: isClose, last: s.brk == 0, end: s.start, lfs: s.lfs - int64(min(s.brk, 1)), hdrEnd: s.start}
	if s.start-int64(s.prevBrk) >= hdrStart {
		t.hdrEnd -= int64(s.prevBrk)
	}
	return t
}

// cutAfterHeader looks at the line after n's blank line: when it is the
// boundary of an enclosing multipart, the entity has no body and, like a
// header cut short by a boundary, gives its last line break, the blank
// line's, to the enclosing entity (Dovecot reads it so: the blank line is
// the line break before the boundary, RFC 2046 §5.1.1). A multipart's own
// boundary right after its header starts its body as usual.
func (w *walker) cutAfterHeader(n *node) (term, bool, error) {
	s := w.s
	// Kept as much of as a header line would be: for a message/rfc822
	// part, the line is the first of the encapsulated header.
	ok, err := s.next(maxHeaderSize + maxLineKeep)
	if err != nil || !ok {
		return term{}, false, err
	}
	own := -1
	if b := n.boundary(); n.typ == "multipart" && b != "" {
		w.bounds = append(w.bounds, b)
		own = len(w.bounds) - 1
	}
	idx, isClose := w.boundary()
	if own >= 0 {
		w.bounds = w.bounds[:own]
	}
	if idx < 0 || idx == own {
		s.unread()
		return term{}, false, nil
	}
	hdrStart := int64(n.part.HeaderOffset)
	t := w.cutTerm(idx, isClose, hdrStart)
	n.part.HeaderLength = uint64(t.hdrEnd - hdrStart)
	n.part.BodyOffset = uint64(t.hdrEnd)
	return t, true, nil
}

// classify sets n's media type, parameters, encoding and charset from its
// header, with the fallbacks that keep the walk possible and bounded:
// limited (depth or part count reached) turns containers into leaves.
func (n *node) classify(defType string, limited bool) {
	n.parseContentType(defType)
	n.part.TransferEncoding = n.cte()
	if n.typ == "multipart" && n.sub == "" {
		// "Content-Type: multipart" names no multipart subtype and has no
		// parameters to split it by: Dovecot reports the part as
		// application/octet-stream, an opaque attachment, and so does
		// postbus.
		n.typ, n.sub = "application", "octet-stream"
	}
	if (n.typ == "multipart" || n.isMessage()) && limited {
		n.typ, n.sub, n.params = "text", "plain", []param{{"charset", "us-ascii"}}
	}
	// A message/rfc822 part with a base64 or quoted-printable encoding
	// (RFC 2046 §5.2.1 allows only 7bit, 8bit and binary) is still walked
	// as the message its Content-Type says, over the octets as they are:
	// that is what Dovecot does, with an envelope of what the encoded text
	// yields (usually nothing) and the encoding reported in body-fld-enc.
	n.part.ContentType = n.typ + "/" + n.sub
	for _, p := range n.params {
		if p.name == "charset" {
			n.part.Charset = p.value
			break
		}
	}
}

// boundary returns the index in w.bounds of the boundary the current line
// delimits, or -1, and whether the line is its close delimiter. Only the
// start of the line has to match (RFC 2046 §5.1.1, "NOTE TO IMPLEMENTORS":
// "compare the boundary value with the beginning of each candidate
// line"); what follows, transport padding or junk, is ignored.
//
// When several boundaries match (one a prefix of another), the choice is
// Dovecot's: from the innermost outwards, a longer match replaces a
// shorter one, and the search stops at a boundary that is the whole line
// (without a final "--"). So with "b" inside "b-", "--b--" closes "b";
// with "b-" inside "b", it is a delimiter of "b-"; with "ab" inside "abc",
// "--abc" belongs to "abc".
func (w *walker) boundary() (int, bool) {
	s := w.s
	t := s.content()
	if len(t) < 2 || t[0] != '-' || t[1] != '-' {
		return -1, false
	}
	cand := t[2:]
	whole := len(cand) // the line's boundary, if it is one exactly
	if s.truncated {
		whole = -1
	} else if s.brk > 0 && whole > 2 && bytes.HasSuffix(cand, []byte("--")) {
		whole -= 2
	}
	best := -1
	for i := len(w.bounds) - 1; i >= 0; i-- {
		b := w.bounds[i]
		if !bytes.HasPrefix(cand, []byte(b)) {
			continue
		}
		if best < 0 || len(b) > len(w.bounds[best]) {
			best = i
			if len(b) == whole {
				break
			}
		}
	}
	if best < 0 {
		return -1, false
	}
	return best, bytes.HasPrefix(cand[len(w.bounds[best]):], []byte("--"))
}

// scanBody reads lines from from up to a boundary of an enclosing
// multipart or EOF. The line break before a boundary belongs to the
// delimiter (RFC 2046 §5.1.1), not to the body, when it lies in the text
// scanned: a line break consumed before from (the blank line ending a
// header, the end of a close delimiter line) stays where it is. With
// capture it keeps the first bytes in w.previewBody.
func (w *walker) scanBody(from int64, capture bool) (term, error) {
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
			t := term{idx: idx, isClose: isClose, last: s.brk == 0, end: s.start, lfs: s.lfs - int64(min(s.brk, 1))}
			if s.prevBrk > 0 && s.start-int64(s.prevBrk) >= from {
				t.end -= int64(s.prevBrk)
				t.lfs--
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
	if n.boundary() == "" {
		// RFC 2046 §5.1.1 requires the parameter; without it the body
		// cannot be split. Like Dovecot, the multipart stays one, its
		// body runs as a leaf's would, and it is reported with one empty
		// part (the grammar needs one, RFC 9051 §9 body-type-mpart).
		t, err := w.scanBody(bodyStart, false)
		n.children = []*node{w.emptyNode(bodyStart, "text/plain")}
		return t, err
	}
	w.bounds = append(w.bounds, n.boundary())
	mine := len(w.bounds) - 1
	defer func() { w.bounds = w.bounds[:mine] }()

	childType := "text/plain"
	if n.sub == "digest" {
		childType = "message/rfc822"
	}
	t, err := w.scanBody(bodyStart, false) // preamble
	// A delimiter line that ends the message without a line break starts
	// no part: nothing follows it, not even an empty header (Dovecot
	// reports no part there either).
	for err == nil && t.idx == mine && !t.isClose && !t.last {
		if w.parts >= maxParts {
			// Past the limit the remaining parts are skipped: they
			// stay inside this multipart's body but get no MimePart
			// (the metadata record and BODYSTRUCTURE stay bounded).
			t, err = w.scanBody(bodyStart, false)
			continue
		}
		var c *node
		c, t, err = w.entity(depth+1, childType, true)
		if err == nil {
			n.children = append(n.children, c)
		}
	}
	if err != nil {
		return t, err
	}
	if t.idx == mine {
		// Close delimiter: the epilogue runs from the end of its line to
		// an outer boundary. The close delimiter line, its line break
		// included, is this multipart's, so the line break only goes to
		// the next boundary when an epilogue stands between them
		// (Dovecot draws the line there too; RFC 2046 §5.1.1's grammar,
		// close-delimiter [CRLF epilogue], gives that break to the
		// epilogue).
		w.bounds = w.bounds[:mine]
		t, err = w.scanBody(w.s.pos, false)
	}
	if len(n.children) == 0 {
		// The grammar needs at least one part (RFC 9051 §9 body-type-mpart);
		// like Dovecot, report one empty text/plain part.
		n.children = []*node{w.emptyNode(bodyStart, "text/plain")}
	}
	return t, err
}

// parseContentType sets typ, sub and params from Content-Type (RFC 2045
// §5; malformed values as parseContentType reads them). Without the field
// the type is defType: text/plain; charset=us-ascii (RFC 2045 §5.1), or
// message/rfc822 in a digest. A field that is present but empty has an
// empty type, as in Dovecot.
func (n *node) parseContentType(defType string) {
	v, ok := n.hdr.get("Content-Type")
	if !ok {
		n.typ, n.sub, _ = strings.Cut(defType, "/")
		n.defaultCharset()
		return
	}
	mt := parseContentType(v)
	n.typ, n.sub, n.params = mt.typ, mt.sub, mt.params
	n.defaultCharset()
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
// §6.1), comments around it allowed; "" when absent or empty. A value that
// is not one token ("base64 junk") is returned whole: it names no
// encoding, so BINARY answers NO [UNKNOWN-CTE] (RFC 3516 §4.2) and
// BODYSTRUCTURE reports 7bit (see validCTE), both as Dovecot does.
func (n *node) cte() string {
	v, _ := n.hdr.get("Content-Transfer-Encoding")
	l := &lexer{s: v}
	l.skipCFWS()
	var b strings.Builder
	if l.token(&b) != atEnd {
		return strings.ToLower(strings.TrimSpace(v))
	}
	return strings.ToLower(b.String())
}

// validCTE reports whether enc, as cte returns it, is a single token.
func validCTE(enc string) bool {
	for i := 0; i < len(enc); i++ {
		if !isTokenChar(enc[i]) {
			return false
		}
	}
	return enc != ""
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
