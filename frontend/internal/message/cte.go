package message

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
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
		return &qpReader{br: bufio.NewReader(r)}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownCTE, enc)
}

// qpReader decodes quoted-printable (RFC 2045 §6.7) robustly, as §6.7
// note (1) advises: an "=" not followed by two hex digits or a line break
// is kept as it is, and any other octet passes through, so it never fails
// on content (mime/quotedprintable rejects control characters, which real
// mail carries). Trailing white space on a line is dropped (rule 3).
type qpReader struct {
	br  *bufio.Reader
	out []byte
	err error
}

func (q *qpReader) Read(p []byte) (int, error) {
	for len(q.out) == 0 {
		if q.err != nil {
			return 0, q.err
		}
		line, err := q.br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			q.err = err
		}
		q.decodeLine(line, err == nil)
	}
	n := copy(p, q.out)
	q.out = q.out[n:]
	return n, nil
}

// decodeLine appends the decoded form of one line (or, for a line longer
// than the bufio buffer, which RFC 2045's 76-octet limit rules out, one
// chunk of it; whole reports whether it ends in LF) to q.out.
func (q *qpReader) decodeLine(line []byte, whole bool) {
	body, brk := line, []byte(nil)
	if whole {
		body = bytes.TrimRight(line, "\r\n")
		brk = line[len(body):]
		body = bytes.TrimRight(body, " \t")
	}
	out := q.out[:0]
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i == len(body)-1 && whole {
			// Soft line break: "=" at the end of a line.
			q.out = out
			return
		}
		if i+2 < len(body) {
			if h, ok := unhex(body[i+1], body[i+2]); ok {
				out = append(out, h)
				i += 2
				continue
			}
		}
		out = append(out, c)
	}
	q.out = append(out, brk...)
}

func unhex(a, b byte) (byte, bool) {
	x, ok1 := hexVal(a)
	y, ok2 := hexVal(b)
	return x<<4 | y, ok1 && ok2
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
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
