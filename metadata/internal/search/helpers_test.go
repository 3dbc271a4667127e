package search

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// crlf turns a test message written with \n line ends into wire form.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// testMessage parses raw (CRLF line ends) into the MessageMeta fields the
// evaluator reads: header, size, blob id and a MIME tree with offsets. It
// is a small stand-in for the real parser of frontend/internal/message,
// which this package must not depend on.
func testMessage(t testing.TB, blobID, raw string) *metadatapb.MessageMeta {
	t.Helper()
	top, err := testPart(raw, 0, len(raw), 0)
	if err != nil {
		t.Fatalf("testMessage %s: %v", blobID, err)
	}
	return &metadatapb.MessageMeta{
		BlobId: blobID,
		Size:   uint64(len(raw)),
		Header: []byte(raw[:top.HeaderLength]),
		Part:   top,
	}
}

// testPart describes the entity raw[start:end].
func testPart(raw string, start, end, depth int) (*metadatapb.MimePart, error) {
	if depth > 20 {
		return nil, fmt.Errorf("too deep")
	}
	hdrEnd := end
	if strings.HasPrefix(raw[start:end], "\r\n") {
		hdrEnd = start + 2
	} else if i := strings.Index(raw[start:end], "\r\n\r\n"); i >= 0 {
		hdrEnd = start + i + 4
	}
	tr := textproto.NewReader(bufio.NewReader(strings.NewReader(raw[start:hdrEnd])))
	h, err := tr.ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("header at %d: %w", start, err)
	}
	p := &metadatapb.MimePart{
		HeaderOffset:     uint64(start),
		HeaderLength:     uint64(hdrEnd - start),
		BodyOffset:       uint64(hdrEnd),
		BodyLength:       uint64(end - hdrEnd),
		ContentType:      "text/plain",
		TransferEncoding: strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))),
	}
	var params map[string]string
	if ct := h.Get("Content-Type"); ct != "" {
		mt, ps, err := mime.ParseMediaType(ct)
		if err != nil {
			return nil, fmt.Errorf("content-type %q: %w", ct, err)
		}
		p.ContentType, params = mt, ps
		p.Charset = ps["charset"]
	}
	switch {
	case strings.HasPrefix(p.ContentType, "multipart/"):
		delim := "\r\n--" + params["boundary"]
		// The body starts right after the header's blank line, so a first
		// delimiter there has no preceding CRLF of its own: search from
		// two bytes earlier, inside the header's final CRLF.
		pos := hdrEnd - 2
		var childStart = -1
		for {
			i := strings.Index(raw[pos:end], delim)
			if i < 0 {
				break
			}
			at := pos + i
			lineEnd := strings.Index(raw[at+2:end], "\r\n")
			if childStart >= 0 {
				c, err := testPart(raw, childStart, at, depth+1)
				if err != nil {
					return nil, err
				}
				p.Children = append(p.Children, c)
			}
			if lineEnd < 0 || strings.HasPrefix(raw[at+len(delim):], "--") {
				break
			}
			childStart = at + 2 + lineEnd + 2
			pos = childStart - 2
		}
	case p.ContentType == "message/rfc822":
		inner, err := testPart(raw, hdrEnd, end, depth+1)
		if err != nil {
			return nil, err
		}
		p.Message = inner
	}
	return p, nil
}

// memBodies is a BodySource over an in-memory map of blobs. It counts
// Open calls, can refuse them, and can serve reads in small pieces.
type memBodies struct {
	mu     sync.Mutex
	blobs  map[string]string
	opens  int
	closes int
	forbid bool // fail the test's expectations: Open must not be called
	chunk  int  // if > 0, Read returns at most chunk bytes
	err    error
}

func newMemBodies(metas map[*metadatapb.MessageMeta]string) *memBodies {
	b := &memBodies{blobs: map[string]string{}}
	for m, raw := range metas {
		b.blobs[m.BlobId] = raw
	}
	return b
}

var errForbidden = fmt.Errorf("test: body read not allowed")

func (b *memBodies) Open(ctx context.Context, blobID string, offset, length int64) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opens++
	if b.forbid {
		return nil, errForbidden
	}
	if b.err != nil {
		return nil, b.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, ok := b.blobs[blobID]
	if !ok {
		return nil, fmt.Errorf("test: blob %q: %w", blobID, base.ErrNoSuchBlob)
	}
	if offset < 0 || offset > int64(len(raw)) {
		return nil, fmt.Errorf("test: offset %d out of range: %w", offset, base.ErrInvalidArgument)
	}
	data := raw[offset:]
	if length >= 0 && length < int64(len(data)) {
		data = data[:length]
	}
	var r io.Reader = strings.NewReader(data)
	if b.chunk > 0 {
		r = &chunkReader{r: r, n: b.chunk}
	}
	return &countingCloser{Reader: r, b: b}, nil
}

// countingCloser counts Close calls on its memBodies.
type countingCloser struct {
	io.Reader
	b *memBodies
}

func (c *countingCloser) Close() error {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	c.b.closes++
	return nil
}

// unclosed reports how many readers were opened but not closed.
func (b *memBodies) unclosed() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opens - b.closes
}

func (b *memBodies) openCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opens
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// failingReader returns some bytes and then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

var _ BodySource = (*memBodies)(nil)
