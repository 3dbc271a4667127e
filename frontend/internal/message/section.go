package message

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

var (
	// ErrUnknownCTE: BINARY of a part whose Content-Transfer-Encoding is
	// unknown or whose content does not decode. The frontend answers
	// NO [UNKNOWN-CTE] (RFC 3516 §4.2).
	ErrUnknownCTE = errors.New("message: unknown or undecodable content-transfer-encoding")
	// ErrNoSuchPart: the section names a part the message does not have
	// (a part number past the last child, HEADER/TEXT of a part that is not
	// message/rfc822). RFC 9051 does not say what to answer; Dovecot sends
	// the item with an empty value, and postbus frontends should too
	// (BODY[1.5] ""), for BINARY as well, so clients that probe do not fail.
	ErrNoSuchPart = errors.New("message: no such body part")
	// ErrInvalidSection: a section form that does not exist, such as MIME
	// without a part number or BINARY with a specifier (RFC 3516 §4.1
	// allows only part numbers). It wraps base.ErrInvalidArgument, so the
	// frontend's error mapping answers BAD [CLIENTBUG].
	ErrInvalidSection = fmt.Errorf("message: invalid section: %w", base.ErrInvalidArgument)
)

// Opener reads a byte range of the raw message (the blob store): length < 0 means to the end.
type Opener func(ctx context.Context, offset, length int64) (io.ReadCloser, error)

// maxDecodedInMemory is the largest decoded BINARY section kept in memory
// between the pass that sizes it and the one that serves it; larger ones
// are decoded twice rather than held.
const maxDecodedInMemory = 1 << 20

// target is where a section's bytes come from: data in memory, or the blob
// range [off, off+n), transfer-decoded per enc for BINARY.
type target struct {
	data  []byte
	inMem bool
	off   int64
	n     int64
	enc   string
}

// OpenSection returns the bytes of BODY[sec] (binary=false) or BINARY[sec] (binary=true),
// with partial applied when non-nil (RFC 9051 §6.4.5 <offset.count>), and their exact size,
// reading only the byte ranges needed (top-level HEADER / HEADER.FIELDS[.NOT] come from
// meta.Header without any read). For BINARY, a part whose Content-Transfer-Encoding is
// unknown or whose content does not decode returns ErrUnknownCTE (→ NO [UNKNOWN-CTE], RFC 3516 §4.2).
// A section that names a non-existent part returns ErrNoSuchPart.
// The caller closes the reader; it yields exactly the returned size unless
// the blob store fails.
func OpenSection(ctx context.Context, meta *metadatapb.MessageMeta, sec *wire.Section, binary bool, partial *wire.Partial, open Opener) (int64, io.ReadCloser, error) {
	t, err := resolve(ctx, meta, sec, binary, open)
	if err != nil {
		return 0, nil, err
	}
	if t.inMem {
		b := applyPartial(t.data, partial)
		return int64(len(b)), io.NopCloser(bytes.NewReader(b)), nil
	}
	if !binary || identityCTE(t.enc) {
		off, n := partialRange(t.n, partial)
		if n == 0 {
			return 0, io.NopCloser(bytes.NewReader(nil)), nil
		}
		rc, err := open(ctx, t.off+off, n)
		if err != nil {
			return 0, nil, fmt.Errorf("message: reading section: %w", err)
		}
		return n, rc, nil
	}

	// BINARY of an encoded part: a first pass sizes (and validates) the
	// decoded content; small results are served from that pass.
	size, data, err := decodedSize(ctx, t, open, maxDecodedInMemory)
	if err != nil {
		return 0, nil, err
	}
	if data != nil {
		b := applyPartial(data, partial)
		return int64(len(b)), io.NopCloser(bytes.NewReader(b)), nil
	}
	off, n := partialRange(size, partial)
	if n == 0 {
		return 0, io.NopCloser(bytes.NewReader(nil)), nil
	}
	rc, err := open(ctx, t.off, t.n)
	if err != nil {
		return 0, nil, fmt.Errorf("message: reading section: %w", err)
	}
	d, err := decoder(t.enc, readErr{rc})
	if err != nil {
		rc.Close()
		return 0, nil, err
	}
	if _, err := io.CopyN(io.Discard, d, off); err != nil {
		rc.Close()
		return 0, nil, fmt.Errorf("message: decoding section: %w", err)
	}
	return n, readCloser{io.LimitReader(d, n), rc}, nil
}

// BinarySize returns the decoded size of BINARY[sec] (BINARY.SIZE, RFC 3516 §4.3).
func BinarySize(ctx context.Context, meta *metadatapb.MessageMeta, sec *wire.Section, open Opener) (int64, error) {
	t, err := resolve(ctx, meta, sec, true, open)
	if err != nil {
		return 0, err
	}
	if t.inMem {
		return int64(len(t.data)), nil
	}
	if identityCTE(t.enc) {
		return t.n, nil
	}
	size, _, err := decodedSize(ctx, t, open, 0)
	return size, err
}

type readCloser struct {
	io.Reader
	io.Closer
}

// decodedSize decodes the whole range of t, returning its decoded size and,
// when that is at most keep, the decoded bytes.
func decodedSize(ctx context.Context, t target, open Opener, keep int64) (int64, []byte, error) {
	if _, err := decoder(t.enc, nil); err != nil {
		return 0, nil, err // unknown encoding: no read needed
	}
	var rc io.ReadCloser = io.NopCloser(bytes.NewReader(nil))
	if t.n > 0 {
		var err error
		if rc, err = open(ctx, t.off, t.n); err != nil {
			return 0, nil, fmt.Errorf("message: reading section: %w", err)
		}
	}
	defer rc.Close()
	d, _ := decoder(t.enc, readErr{rc})
	lb := &limitedBuffer{max: keep}
	size, err := io.Copy(lb, d)
	if err != nil {
		if errors.Is(err, errRead) {
			return 0, nil, fmt.Errorf("message: reading section: %w", err)
		}
		return 0, nil, err
	}
	if lb.over || keep == 0 {
		return size, nil, nil
	}
	return size, lb.buf, nil
}

// limitedBuffer keeps what is written while it fits in max octets; past
// that it drops it and only accepts writes.
type limitedBuffer struct {
	buf  []byte
	max  int64
	over bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if !l.over && int64(len(l.buf)+len(p)) <= l.max {
		l.buf = append(l.buf, p...)
	} else {
		l.over, l.buf = true, nil
	}
	return len(p), nil
}

// resolve finds what sec addresses (RFC 9051 §6.4.5).
func resolve(ctx context.Context, meta *metadatapb.MessageMeta, sec *wire.Section, binary bool, open Opener) (target, error) {
	root := meta.GetPart()
	if root == nil {
		return target{}, fmt.Errorf("%w: message has no MIME tree", ErrNoSuchPart)
	}
	if sec == nil {
		sec = &wire.Section{}
	}
	spec := strings.ToUpper(sec.Specifier)
	if binary && spec != "" {
		return target{}, fmt.Errorf("%w: BINARY[%s]", ErrInvalidSection, spec)
	}

	// Walk the part numbers. msg is the message the numbers address; p the
	// part reached so far (nil: none yet).
	msg := root
	var p *metadatapb.MimePart
	for _, num := range sec.Part {
		base := msg
		if p != nil {
			switch {
			case isMultipart(p):
				base = p
			case p.GetMessage() != nil:
				msg = p.GetMessage()
				base = msg
			default:
				return target{}, fmt.Errorf("%w: part %d of a leaf", ErrNoSuchPart, num)
			}
		}
		switch {
		case isMultipart(base):
			if num < 1 || num > len(base.Children) {
				return target{}, fmt.Errorf("%w: part %d of %d", ErrNoSuchPart, num, len(base.Children))
			}
			p = base.Children[num-1]
		case num == 1:
			// A non-multipart message's part 1 is its body.
			p = base
		default:
			return target{}, fmt.Errorf("%w: part %d of a single-part message", ErrNoSuchPart, num)
		}
	}

	switch spec {
	case "":
		if p == nil {
			return target{off: 0, n: int64(meta.GetSize()), enc: ""}, nil
		}
		enc := p.TransferEncoding
		if p.GetMessage() != nil {
			// A message/rfc822 part is served as it is, even under a
			// base64 or quoted-printable encoding RFC 2046 §5.2.1 does
			// not allow there: it was walked as a message over those
			// octets, and BINARY decodes leaves, not containers (as
			// Dovecot answers).
			enc = ""
		}
		return target{off: int64(p.BodyOffset), n: int64(p.BodyLength), enc: enc}, nil
	case "MIME":
		if p == nil {
			return target{}, fmt.Errorf("%w: MIME needs a part number", ErrInvalidSection)
		}
		return target{off: int64(p.HeaderOffset), n: int64(p.HeaderLength)}, nil
	case "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT":
	default:
		return target{}, fmt.Errorf("%w: %q", ErrInvalidSection, sec.Specifier)
	}

	// HEADER, TEXT and HEADER.FIELDS address a message: the top level, or
	// the message a message/rfc822 part encapsulates.
	m := root
	if p != nil {
		if m = p.GetMessage(); m == nil {
			return target{}, fmt.Errorf("%w: %s of a part that is not a message", ErrNoSuchPart, spec)
		}
	}
	if spec == "TEXT" {
		return target{off: int64(m.BodyOffset), n: int64(m.BodyLength)}, nil
	}
	hdr := target{off: int64(m.HeaderOffset), n: int64(m.HeaderLength)}
	if m == root && topHeaderStored(meta) {
		hdr = target{data: meta.Header, inMem: true}
	}
	if spec == "HEADER" {
		return hdr, nil
	}
	raw := hdr.data
	if !hdr.inMem {
		var err error
		if raw, err = readRange(ctx, open, hdr.off, min(hdr.n, maxHeaderSize)); err != nil {
			return target{}, err
		}
	}
	return target{data: filterFields(raw, sec.Fields, spec == "HEADER.FIELDS.NOT"), inMem: true}, nil
}

func isMultipart(p *metadatapb.MimePart) bool {
	return strings.HasPrefix(p.ContentType, "multipart/") && len(p.Children) > 0
}

func readRange(ctx context.Context, open Opener, off, n int64) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	rc, err := open(ctx, off, n)
	if err != nil {
		return nil, fmt.Errorf("message: reading section: %w", err)
	}
	defer rc.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("message: reading section: %w", err)
	}
	return b, nil
}

// partialRange applies <offset.count> to a section of size octets: an
// offset past the end gives an empty result (RFC 9051 §6.4.5).
func partialRange(size int64, partial *wire.Partial) (off, n int64) {
	if partial == nil {
		return 0, size
	}
	off = min(max(partial.Offset, 0), size)
	n = min(max(partial.Count, 0), size-off)
	return off, n
}

func applyPartial(b []byte, partial *wire.Partial) []byte {
	off, n := partialRange(int64(len(b)), partial)
	return b[off : off+n]
}
