package frontend

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"

	"github.com/postbus/postbus/frontend/internal/wire"
)

// COMPRESS=DEFLATE (RFC 4978). After the tagged OK both directions are raw
// DEFLATE (RFC 1951, no zlib header). The layers, top to bottom:
//
//	decoder ← bufio (decompressed) ← inflateReader ← flate ← c.br (wire) ← deadlineConn ← TLS
//	encoder → deflateWriter → pooled bufio → deadlineConn → TLS
//
// so compression sits above TLS (RFC 4978 §3: compress first, then
// encrypt), deadlines and the byte counters see what crosses the wire, and
// the decoder's line and literal limits apply to decompressed octets.
//
// Memory, for many idle clients: a stateful flate.Writer keeps 300 KiB
// (Huffman only) to over 1 MiB (levels 2-6) per connection. Instead every
// burst the encoder flushes is compressed by flate.StatelessDeflate, with
// the last 8 KiB of plaintext sent as its dictionary: on IMAP responses
// this compresses as well as level 1 (measured: 12 % of the input for
// FETCH bursts of 500 octets, as level 1; 41 % without the dictionary)
// and keeps 8 KiB per connection, the scratch space coming from pools only
// while a burst is written. Speed is near level 1 too (BenchmarkDeflateWriter,
// text in 32 KiB bursts: 74 MB/s per core, output 21.5 % of the input;
// a stateful level 1 writer: 91 MB/s, 21.3 %). Each burst ends with a sync flush (an empty
// stored block), so nothing waits in the compressor when the server waits
// for the client: every Encoder.Flush (responses, continuations, IDLE
// updates) reaches the client whole. The inflater needs its 32 KiB window
// (RFC 1951 §2: back-references reach 32 KiB), which no setting avoids.

// maxDeflateDict is the dictionary StatelessDeflate can use.
const maxDeflateDict = 8 << 10

// Decompression bomb guard: a client may make the server inflate at most
// maxInflateRatio octets per compressed octet, once past inflateFloor.
// Deflate reaches about 1000:1 on runs of one octet; mail, even plain text
// in an APPEND, stays far below 100:1, and the decoder's own limits still
// bound every line and literal.
const (
	maxInflateRatio = 100
	inflateFloor    = 1 << 20
)

var (
	// errCompressCorrupt: the client's DEFLATE stream does not decode.
	errCompressCorrupt = errors.New("frontend: invalid compressed data")
	// errCompressRatio: the client's stream inflates beyond maxInflateRatio.
	errCompressRatio = errors.New("frontend: compressed data inflates too much")
	// errCompressTrailing: compressed data after UNAUTHENTICATE's CRLF.
	errCompressTrailing = errors.New("frontend: compressed data after UNAUTHENTICATE")
)

// RFC 4978 §3. Valid in the authenticated and selected states (§5:
// command-auth =/ compress).
func (c *conn) cmdCompress(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.CompressArgs)
	if !ok {
		return bad("", "COMPRESS expects an algorithm")
	}
	if a.Algorithm != "DEFLATE" {
		return bad("", "unknown compression algorithm "+sanitizeName(a.Algorithm))
	}
	if c.z != nil {
		// RFC 4978 §3: "NO [COMPRESSIONACTIVE]" when the mechanism is
		// already active, saying which layer compresses.
		return no("COMPRESSIONACTIVE", "DEFLATE active via COMPRESS")
	}
	// RFC 4978 §3: compression starts right after the CRLF of the tagged
	// OK, which therefore goes out uncompressed, now. Whatever the client
	// sent after its command (it must wait, but may not) stays in c.br and
	// is inflated like the rest.
	c.enc.StatusResponse(cmd.Tag, "OK", "", "DEFLATE active")
	if err := c.enc.Flush(); err != nil {
		return fatal(err)
	}
	c.startDeflate()
	return errAnswered
}

// deflateLayer is what COMPRESS put between the session and the
// connection, kept so that UNAUTHENTICATE can take it away.
type deflateLayer struct {
	wire     *bufio.Reader  // the connection's reader under the inflater
	inflater io.Reader      // flate's reader of wire
	w        *deflateWriter // under the encoder
}

// startDeflate puts DEFLATE between the session and the connection.
func (c *conn) startDeflate() {
	// c.br is a *bufio.Reader, an io.ByteReader: flate then reads no
	// further than the compressed data it needs, so the octets after the
	// client's final block (see endDeflate) stay in c.br.
	z := &deflateLayer{wire: c.br, w: &deflateWriter{dst: &deadlineConn{c: c, nc: c.nc}}}
	z.inflater = flate.NewReader(z.wire)
	c.z = z
	c.br = bufio.NewReaderSize(&inflateReader{c: c, r: z.inflater, inBase: c.bytesIn.Load()}, 16*1024)
	c.dec = wire.NewDecoder(c.br, c.continuation, c.srv.cfg.Limits)
	c.enc.Reset(z.w)
}

// endDeflate answers UNAUTHENTICATE when COMPRESS is active: RFC 8437 §3,
// "the server terminates its outgoing compression layer after it sends
// the CRLF following the OK response. The client terminates its outgoing
// compression layer after the CRLF following the UNAUTHENTICATE command."
// Both ends terminate DEFLATE with a final block (BFINAL, RFC 1951
// §3.2.3), the only end of a DEFLATE stream a reader can find; the octets
// after it are uncompressed again. A client that never sends its final
// block is waited for until the read timeout, then told BYE.
func (c *conn) endDeflate(cmd *wire.Command) error {
	z := c.z
	c.z = nil
	c.enc.StatusResponse(cmd.Tag, "OK", "", "UNAUTHENTICATE completed, DEFLATE ended")
	if err := c.enc.Flush(); err != nil {
		return fatal(err)
	}
	if err := z.w.finish(); err != nil {
		return fatal(err)
	}
	c.enc.Reset(z.w.dst)
	// Whatever the client compressed after its command is a protocol
	// error: the session cannot tell where its next command starts.
	leftover := c.br.Buffered() > 0
	if !leftover {
		var buf [512]byte
		for {
			n, err := z.inflater.Read(buf[:])
			if n > 0 {
				leftover = true
				break
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return fatal(inflateErr(err))
			}
		}
	}
	if leftover {
		return &fatalError{err: errCompressTrailing, bye: "compressed data after UNAUTHENTICATE"}
	}
	c.br = z.wire
	c.dec = wire.NewDecoder(c.br, c.continuation, c.srv.cfg.Limits)
	return errAnswered
}

// inflateReader decompresses the client's stream, enforcing the ratio
// guard and turning flate's errors into ones the session ends on cleanly.
type inflateReader struct {
	c      *conn
	r      io.Reader
	inBase int64 // c.bytesIn when COMPRESS began
	out    int64 // octets inflated so far
}

func (z *inflateReader) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	z.out += int64(n)
	if z.out > inflateFloor && z.out > maxInflateRatio*(z.c.bytesIn.Load()-z.inBase) {
		return n, &fatalError{err: errCompressRatio, bye: "compressed data expands too much"}
	}
	if err == nil || err == io.EOF {
		// io.EOF: the client ended its stream with a final block outside
		// UNAUTHENTICATE, which ends the session like a close would.
		return n, err
	}
	return n, inflateErr(err)
}

// inflateErr turns flate's errors into ones the session ends on cleanly.
func inflateErr(err error) error {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		// flate's name for the connection closing mid-stream: the client
		// went away, as with io.EOF on an uncompressed connection.
		return io.EOF
	case errors.As(err, &ce):
		return &fatalError{err: fmt.Errorf("%w: %v", errCompressCorrupt, err), bye: "invalid compressed data"}
	}
	return err // I/O error, timeout, shutdown: as on any connection
}

// deflateWriter compresses each burst the encoder flushes on its own,
// ending it with a sync flush; it remembers the last maxDeflateDict
// octets as the dictionary of the next burst. Not safe for concurrent use
// (the encoder is not either).
type deflateWriter struct {
	dst  io.Writer // deadlineConn
	dict []byte    // last octets written, at most maxDeflateDict
}

// deflateBufs gathers the compressor's small writes (about 250 octets
// each) into few TLS records, only while a burst is written.
var deflateBufs = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 16<<10) }}

func (w *deflateWriter) Write(p []byte) (int, error) {
	if err := w.deflate(p, false); err != nil {
		return 0, err
	}
	w.remember(p)
	return len(p), nil
}

// finish ends the stream with an empty final block.
func (w *deflateWriter) finish() error { return w.deflate(nil, true) }

func (w *deflateWriter) deflate(p []byte, final bool) error {
	bw := deflateBufs.Get().(*bufio.Writer)
	bw.Reset(w.dst)
	err := flate.StatelessDeflate(bw, p, final, w.dict)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	deflateBufs.Put(bw)
	return err
}

// remember keeps the tail of what was sent: the client's inflater holds
// it in its window, so the next burst may refer to it.
func (w *deflateWriter) remember(p []byte) {
	if w.dict == nil {
		w.dict = make([]byte, 0, maxDeflateDict)
	}
	if len(p) >= maxDeflateDict {
		w.dict = append(w.dict[:0], p[len(p)-maxDeflateDict:]...)
		return
	}
	if keep := maxDeflateDict - len(p); len(w.dict) > keep {
		w.dict = append(w.dict[:0], w.dict[len(w.dict)-keep:]...)
	}
	w.dict = append(w.dict, p...)
}
