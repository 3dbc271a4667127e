package blobstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"github.com/postbus/postbus/metadata/base"
)

// hashReader wraps the reader given to Put. It hashes and counts what passes
// through, fails with base.ErrTooBig once more than maxSize bytes arrive, and
// fails with ctx's error once ctx is done, so that a cancelled Put stops
// between reads even when the source itself never blocks.
//
// Its first error is sticky and kept in err: implementations check it after
// the copy, because the code they hand the reader to (io.Copy, an HTTP
// client) may replace or wrap it.
type hashReader struct {
	ctx     context.Context
	r       io.Reader
	h       hash.Hash
	n       int64
	maxSize int64 // <= 0: no limit
	err     error // first error other than io.EOF
	eof     bool
}

func newHashReader(ctx context.Context, r io.Reader, maxSize int64) *hashReader {
	return &hashReader{ctx: ctx, r: r, h: sha256.New(), maxSize: maxSize}
}

func (hr *hashReader) Read(p []byte) (int, error) {
	if hr.err != nil {
		return 0, hr.err
	}
	if hr.eof {
		return 0, io.EOF
	}
	if err := hr.ctx.Err(); err != nil {
		hr.err = err
		return 0, err
	}
	if hr.maxSize > 0 {
		// Read at most one byte past the limit: enough to detect that the
		// source is too big without pulling more of it than needed.
		if rest := hr.maxSize - hr.n + 1; int64(len(p)) > rest {
			p = p[:rest]
		}
	}
	n, err := hr.r.Read(p)
	if n < 0 || n > len(p) {
		hr.err = fmt.Errorf("blobstore: source reader returned invalid count %d", n)
		return 0, hr.err
	}
	if hr.maxSize > 0 && hr.n+int64(n) > hr.maxSize {
		hr.err = fmt.Errorf("blobstore: blob exceeds %d bytes: %w", hr.maxSize, base.ErrTooBig)
		return 0, hr.err
	}
	hr.h.Write(p[:n])
	hr.n += int64(n)
	switch {
	case err == io.EOF:
		hr.eof = true
	case err != nil:
		hr.err = err
	}
	return n, err
}

// id returns the ID of everything read so far.
func (hr *hashReader) id() ID { return idOf(hr.h) }
