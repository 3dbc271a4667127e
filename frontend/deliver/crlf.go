package deliver

import "io"

// crlfReader turns every bare LF of a message into CRLF, leaving CRLF and
// lone CR as they are. RFC 5322 §2.1 and RFC 9051 §2.2 (messages are
// lines ending in CRLF) are what IMAP clients rely on; mail written by
// Unix tools (an mbox export, a client appending a file as is) uses LF
// alone. Normalising once on the way in keeps the stored blob, every size
// and every section offset in CRLF form, which is also how other servers
// present such mail (Dovecot converts on output), so a client sees the
// same bytes, and the same RFC822.SIZE, wherever it reads the message.
type crlfReader struct {
	r       io.Reader
	buf     []byte
	prevCR  bool // the last byte passed on was CR
	pending bool // an LF is owed after an inserted CR that did not fit
	err     error
}

func newCRLFReader(r io.Reader) *crlfReader {
	return &crlfReader{r: r, buf: make([]byte, 32<<10)}
}

func (c *crlfReader) Read(p []byte) (int, error) {
	n := 0
	if c.pending && len(p) > 0 {
		p[0] = '\n'
		n, c.pending = 1, false
	}
	if n == len(p) || c.err != nil {
		if n == 0 {
			return 0, c.err
		}
		return n, nil
	}
	// Read at most half the room left, so that the worst case (every
	// byte an LF) still fits.
	want := max(1, (len(p)-n)/2)
	m, err := c.r.Read(c.buf[:min(want, len(c.buf))])
	for _, b := range c.buf[:m] {
		if b == '\n' && !c.prevCR {
			p[n] = '\r'
			n++
			if n == len(p) {
				c.pending = true
				c.prevCR = false
				continue
			}
		}
		p[n] = b
		n++
		c.prevCR = b == '\r'
	}
	c.err = err
	if n > 0 {
		return n, nil
	}
	return 0, err
}
