package message

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
)

// decoder returns a reader of the content of r decoded per enc (RFC 2045
// §6), or ErrUnknownCTE for an encoding postbus cannot decode.
func decoder(enc string, r io.Reader) (io.Reader, error) {
	switch enc {
	case "", "7bit", "8bit", "binary":
		return r, nil
	case "base64":
		return &b64Reader{r: r}, nil
	case "quoted-printable":
		return &qpReader{r: quotedprintable.NewReader(r)}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownCTE, enc)
}

// qpReader maps quoted-printable syntax errors to ErrUnknownCTE.
type qpReader struct{ r io.Reader }

func (q *qpReader) Read(p []byte) (int, error) {
	n, err := q.r.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, errRead) {
		err = fmt.Errorf("%w: quoted-printable: %v", ErrUnknownCTE, err)
	}
	return n, err
}

// errRead marks errors of the underlying reader, which must not turn into
// ErrUnknownCTE.
var errRead = errors.New("message: read")

// readErr tags read errors of the blob so decoders pass them through.
type readErr struct{ r io.Reader }

func (e readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", errRead, err)
	}
	return n, err
}

// b64Reader decodes base64 (RFC 2045 §6.8): characters outside the
// alphabet are ignored, as the RFC asks; decoding stops at the padding. Data
// that ends with a single dangling character does not decode.
type b64Reader struct {
	r    io.Reader
	in   [4096]byte
	quad []byte // alphabet characters not yet decoded (< 4 at rest)
	out  []byte // decoded, not yet returned
	done bool   // padding or EOF seen
	err  error
}

func (b *b64Reader) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		if b.done {
			return 0, io.EOF
		}
		n, err := b.r.Read(b.in[:])
		for _, c := range b.in[:n] {
			if b.done {
				break
			}
			if c == '=' {
				b.done = true
				break
			}
			if isBase64(c) {
				b.quad = append(b.quad, c)
			}
		}
		if err == io.EOF {
			b.done = true
		} else if err != nil {
			b.err = err
		}
		full := len(b.quad) / 4 * 4
		if b.done {
			full = len(b.quad)
			if full%4 == 1 {
				b.err = fmt.Errorf("%w: base64: truncated data", ErrUnknownCTE)
				full--
			}
		}
		buf := make([]byte, base64.RawStdEncoding.DecodedLen(full))
		d, derr := base64.RawStdEncoding.Decode(buf, b.quad[:full])
		if derr != nil && b.err == nil {
			b.err = fmt.Errorf("%w: base64: %v", ErrUnknownCTE, derr)
		}
		b.out = append(b.out, buf[:d]...)
		b.quad = append(b.quad[:0], b.quad[full:]...)
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}
