package message

import (
	"fmt"
	"io"

	"github.com/postbus/postbus/proto/metadatapb"
)

// Analyze parses a raw RFC 5322 message (r holds exactly size bytes) and fills
// everything of MessageMeta except BlobId, InternalDate, InternalDateZone and
// SaveDate (the caller sets those). It never fails on malformed MIME: like
// Dovecot it falls back to text/plain for unparseable parts; it returns an error
// only for I/O errors.
func Analyze(r io.ReaderAt, size int64) (*metadatapb.MessageMeta, error) {
	w := &walker{s: newScanner(r, size)}
	root, _, err := w.entity(0, "text/plain", false)
	if err != nil {
		return nil, fmt.Errorf("message: reading: %w", err)
	}
	meta := &metadatapb.MessageMeta{
		Size:   uint64(size),
		Header: root.rawHdr,
		Part:   root.part,
	}

	rd := getRender()
	defer putRender(rd)
	rd.envelope(&root.hdr)
	meta.Envelope = rd.bytes()
	rd.body(root, true)
	meta.BodyStructure = rd.bytes()
	rd.body(root, false)
	meta.Body = rd.bytes()

	h := &root.hdr
	if v, ok := h.get("Date"); ok {
		if t, ok := parseDate(v); ok {
			_, off := t.Zone()
			meta.SentDate, meta.SentDateZone = t.Unix(), int32(off)
		}
	}
	if v, ok := h.get("Subject"); ok {
		meta.Subject = decodeText(v)
	}
	meta.From = decodeAddresses(addresses(h, "From"))
	meta.To = decodeAddresses(addresses(h, "To"))
	meta.Cc = decodeAddresses(addresses(h, "Cc"))
	if v, ok := h.get("Message-ID"); ok {
		if ids := msgIDs(v); len(ids) > 0 {
			meta.MessageId = ids[0]
		}
	}
	if v, ok := h.get("In-Reply-To"); ok {
		if ids := msgIDs(v); len(ids) > 0 {
			meta.InReplyTo = ids[0]
		}
	}
	for _, v := range h.getAll("References") {
		meta.References = append(meta.References, msgIDs(v)...)
	}
	meta.Preview = makePreview(w.preview, w.previewBody)
	return meta, nil
}

// topHeaderStored reports whether meta.Header holds the whole top-level
// header (Analyze stores at most maxHeaderSize bytes of it).
func topHeaderStored(meta *metadatapb.MessageMeta) bool {
	return meta.Part != nil && uint64(len(meta.Header)) == meta.Part.HeaderLength
}
