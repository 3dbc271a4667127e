package frontend

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// zconn is the client side of COMPRESS=DEFLATE (RFC 4978), written with
// the standard library's flate, not the server's: every write is
// compressed and sync-flushed, as RFC 4978 §4 expects of a client.
type zconn struct {
	net.Conn
	zw *flate.Writer
}

func (z *zconn) Write(p []byte) (int, error) {
	if _, err := z.zw.Write(p); err != nil {
		return 0, err
	}
	return len(p), z.zw.Flush()
}

// countReader counts the compressed octets the server sent. It is an
// io.ByteReader, so flate reads no further than the end of the server's
// stream (UNAUTHENTICATE ends it).
type countReader struct {
	r *bufio.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// deflate sends COMPRESS DEFLATE and, after its OK, talks DEFLATE both
// ways. It returns the counter of compressed octets received.
func (r *raw) deflate(tag string) *countReader {
	r.t.Helper()
	r.expect(tag, "COMPRESS DEFLATE", "OK")
	zw, err := flate.NewWriter(r.c, flate.BestSpeed)
	if err != nil {
		r.t.Fatal(err)
	}
	// The server compresses from right after the CRLF of its OK; what r.r
	// buffered past it is compressed already.
	cr := &countReader{r: r.r}
	r.c = &zconn{Conn: r.c, zw: zw}
	r.r = bufio.NewReader(flate.NewReader(cr))
	return cr
}

// textBody is a compressible message of about size octets.
func textBody(size int) string {
	var b strings.Builder
	b.WriteString("From: alice@example.com\r\nTo: bob@example.com\r\nSubject: minutes\r\n\r\n")
	rng := rand.New(rand.NewSource(1))
	words := []string{"quarterly", "numbers", "meeting", "budget", "action", "item", "owner", "deadline"}
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%d %s %s %s\r\n", i, words[rng.Intn(len(words))], words[rng.Intn(len(words))], words[rng.Intn(len(words))])
	}
	return b.String()
}

func TestCompressDeflate(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	caps := r.expect("a", "CAPABILITY", "OK")
	if containsLine(caps, "COMPRESS=DEFLATE") || !containsLine(caps, "UTF8=ACCEPT") {
		t.Errorf("pre-auth capabilities: %q", caps)
	}
	// RFC 4978 §5: command-auth, so BAD before login.
	r.expect("b", "COMPRESS DEFLATE", "BAD")
	_, tagged := r.cmd("L", "LOGIN "+testUser+` "`+testPassword+`"`)
	if !strings.Contains(tagged, "COMPRESS=DEFLATE") {
		t.Fatalf("LOGIN capabilities: %q", tagged)
	}
	// Refusals leave the connection uncompressed.
	r.expect("c", "COMPRESS LZW", "BAD")
	r.expect("d", "COMPRESS", "BAD")
	r.expect("e", "COMPRESS DEFLATE DEFLATE", "BAD")
	r.expect("f", "SELECT INBOX", "OK")

	wire := r.deflate("g")
	caps = r.expect("h", "CAPABILITY", "OK")
	if containsLine(caps, "COMPRESS=DEFLATE") {
		t.Errorf("COMPRESS still advertised while active: %q", caps)
	}
	r.expect("i", "COMPRESS DEFLATE", "NO [COMPRESSIONACTIVE]") // RFC 4978 §3
	r.expect("j", "COMPRESS LZW", "BAD")
	r.expect("k", "NOOP", "OK")

	// A synchronising literal: the continuation crosses the compressor.
	body := textBody(300 << 10)
	r.send(fmt.Sprintf("l APPEND INBOX (\\Seen) {%d}\r\n", len(body)))
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("continuation: %q", l)
	}
	r.send(body + "\r\n")
	if _, tagged := r.until("l"); !strings.HasPrefix(tagged, "l OK [APPENDUID") {
		t.Fatalf("APPEND: %q", tagged)
	}
	// LITERAL+ too.
	small := textBody(2000)
	r.expect("m", fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(small), small), "OK")

	before := wire.n
	untagged := r.expect("n", "FETCH 1 BODY.PEEK[]", "OK")
	got := strings.Join(untagged, "\r\n")
	if !strings.Contains(got, body) {
		t.Fatalf("FETCH BODY[] lost the message (%d octets back)", len(got))
	}
	if sent := wire.n - before; sent <= 0 || sent > int64(len(body))/2 {
		t.Errorf("FETCH of %d compressible octets took %d octets on the wire", len(body), sent)
	}
	untagged = r.expect("o", "FETCH 2 (RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])", "OK")
	if !containsLine(untagged, fmt.Sprintf("RFC822.SIZE %d", len(small))) || !containsLine(untagged, "Subject: minutes") {
		t.Errorf("FETCH 2: %q", untagged)
	}

	// IDLE: an update from another session arrives through the compressor
	// while the server waits for DONE.
	r.send("p IDLE\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE continuation: %q", l)
	}
	other := e.client(t, nil)
	appendMsg(t, other, "INBOX", simpleMsg)
	if l := r.line(); l != "* 3 EXISTS" {
		t.Fatalf("IDLE update: %q", l)
	}
	r.send("DONE\r\n")
	if _, tagged := r.until("p"); !strings.HasPrefix(tagged, "p OK") {
		t.Fatalf("IDLE end: %q", tagged)
	}

	r.expect("r", "UID SEARCH ALL", "OK")

	// Syntax errors are answered through the compressor, too.
	r.expect("s", "FETCH 1 (FLAGS", "BAD")

	untagged = r.expect("t", "LOGOUT", "OK")
	if !containsLine(untagged, "* BYE") {
		t.Errorf("LOGOUT: %q", untagged)
	}
	if l, err := r.r.ReadString('\n'); err == nil {
		t.Errorf("connection open after LOGOUT: %q", l)
	}
}

// The byte counters see the compressed octets that crossed the wire.
func TestCompressCounters(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.expect("a", "SELECT INBOX", "OK")
	r.deflate("b")
	body := textBody(200 << 10)
	r.expect("c", fmt.Sprintf("APPEND INBOX {%d+}\r\n%s", len(body), body), "OK")
	var sess *conn
	e.srv.mu.Lock()
	for c := range e.srv.mu.conns {
		sess = c
	}
	e.srv.mu.Unlock()
	if sess == nil {
		t.Fatal("no session")
	}
	if in := sess.bytesIn.Load(); in <= 0 || in > int64(len(body))/2 {
		t.Errorf("bytes in = %d for a %d-octet compressible APPEND", in, len(body))
	}
}

// Hostile compressed input ends the session with a BYE, never a panic or
// a hang, and leaves no goroutine behind.
func TestCompressHostile(t *testing.T) {
	e := newEnv(t)
	// Warm up: the first login starts gRPC's long-lived goroutines.
	w := e.rawTLS(t)
	w.login()
	w.deflate("z")
	w.expect("y", "LOGOUT", "OK")
	waitSessionsGone(t, e)
	base := runtime.NumGoroutine()

	// A bomb: 64 MiB of one octet, without a line end, is about 64 KiB
	// of DEFLATE.
	var bomb bytes.Buffer
	zw, _ := flate.NewWriter(&bomb, flate.BestCompression)
	chunk := bytes.Repeat([]byte{'a'}, 1<<20)
	for range 64 {
		zw.Write(chunk)
	}
	zw.Flush()

	for _, tc := range []struct {
		name string
		in   []byte
		bye  string
	}{
		// BFINAL=1, BTYPE=11: a reserved block type (RFC 1951 §3.2.3).
		{"reserved block type", []byte{0xff, 0xff, 0xff, 0xff}, "* BYE invalid compressed data"},
		// A stored block whose LEN and NLEN disagree.
		{"stored block length", []byte{0x00, 0x05, 0x00, 0x05, 0x00}, "* BYE invalid compressed data"},
		{"bomb", bomb.Bytes(), "* BYE compressed data expands too much"},
		// Plain text where DEFLATE is expected.
		{"uncompressed command", []byte("a NOOP\r\n"), "* BYE invalid compressed data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.rawTLS(t)
			r.login()
			r.deflate("z")
			zc := r.c.(*zconn)
			// Raw octets, past the client's compressor; the write may fail
			// once the server has hung up.
			go zc.Conn.Write(tc.in)
			if l := r.line(); l != tc.bye {
				t.Fatalf("got %q, want %q", l, tc.bye)
			}
			if l, err := r.r.ReadString('\n'); err == nil {
				t.Fatalf("connection open after BYE: %q", l)
			}
			zc.Conn.Close()
		})
	}

	// The client vanishing mid-stream (a half-sent block) ends the session
	// quietly.
	r := e.rawTLS(t)
	r.login()
	r.deflate("z")
	zc := r.c.(*zconn)
	zc.Conn.Write([]byte{0x04}) // BFINAL=0, BTYPE=10, then nothing
	zc.Conn.Close()

	waitSessionsGone(t, e)
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// waitSessionsGone waits until the server has ended every session.
func waitSessionsGone(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.srv.mu.Lock()
		n := len(e.srv.mu.conns)
		e.srv.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still open", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// switchWriter lets a test compress into a buffer first, then onto the
// connection, with one continuous DEFLATE stream.
type switchWriter struct{ w io.Writer }

func (s *switchWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

// A client that does not wait for COMPRESS's OK (RFC 4978 §3 says it must)
// still has its compressed commands read as such.
func TestCompressPipelined(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	var early bytes.Buffer
	sw := &switchWriter{w: &early}
	zw, _ := flate.NewWriter(sw, flate.BestSpeed)
	zw.Write([]byte("n NOOP\r\n"))
	zw.Flush()
	r.send("c COMPRESS DEFLATE\r\n" + early.String())
	if l := r.line(); !strings.HasPrefix(l, "c OK") {
		t.Fatalf("COMPRESS: %q", l)
	}
	sw.w = r.c
	r.c = &zconn{Conn: r.c, zw: zw}
	r.r = bufio.NewReader(flate.NewReader(r.r))
	if _, tagged := r.until("n"); !strings.HasPrefix(tagged, "n OK") {
		t.Fatalf("pipelined NOOP: %q", tagged)
	}
	r.expect("o", "SELECT INBOX", "OK")
}

// The ways a compressed session ends on the server's side: its BYE comes
// through the compressor.
func TestCompressServerEnds(t *testing.T) {
	t.Run("autologout", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
		r := e.rawTLS(t)
		r.login()
		r.deflate("c")
		if l := r.line(); l != "* BYE autologout: idle for too long" {
			t.Fatalf("got %q", l)
		}
	})
	t.Run("shutdown during IDLE", func(t *testing.T) {
		e := newEnv(t)
		r := e.rawTLS(t)
		r.login()
		r.expect("s", "SELECT INBOX", "OK")
		r.deflate("c")
		r.send("i IDLE\r\n")
		if l := r.line(); !strings.HasPrefix(l, "+") {
			t.Fatalf("IDLE: %q", l)
		}
		done := make(chan error, 1)
		go func() { done <- e.srv.Shutdown(t.Context()) }()
		if l := r.line(); l != "* BYE server shutting down" {
			t.Fatalf("got %q", l)
		}
		if err := <-done; err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	})
}

// FuzzCompressedSession sends arbitrary input after COMPRESS DEFLATE: as
// commands the test compresses (first octet even), or as the compressed
// stream itself (odd). The server must not panic or hang, and must keep
// serving new connections.
func FuzzCompressedSession(f *testing.F) {
	for _, s := range []string{
		"\x00a NOOP\r\nb FETCH 1 (FLAGS BODY.PEEK[])",
		"\x00a APPEND INBOX {3+}\r\nabc\r\nb IDLE\r\nDONE",
		"\x00a COMPRESS DEFLATE\r\nb COMPRESS LZW\r\nc UNAUTHENTICATE",
		"\x00a UNSELECT\r\nb ENABLE UTF8=ACCEPT\r\nc APPEND INBOX UTF8 (~{2+}\r\nhi)\r\nd SEARCH CHARSET UTF-8 ALL",
		"\x00a APPEND INBOX UTF8 (~{2}\r\n",
		"\x01\xff\xff\xff",
		"\x01\x00\x05\x00\xfa\xffhello",
		"\x01\x04",
		"\x01\x4b\x54\xf0\xf3\xf7\x0f\xe0\xe5\x02\x00",
	} {
		f.Add(s)
	}
	var logs lockedBuffer
	e := newEnv(f, func(c *Config) {
		c.InsecureAuth = true
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	f.Fuzz(func(t *testing.T, input string) {
		if input == "" {
			return
		}
		c, err := net.Dial("tcp", e.imapAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := &raw{t: t, c: c, r: bufio.NewReader(c)}
		r.line()
		r.login()
		r.expect("s", "SELECT INBOX", "OK")
		r.expect("z", "COMPRESS DEFLATE", "OK")
		c.SetDeadline(time.Now().Add(5 * time.Second))
		data := []byte(input[1:])
		if input[0]%2 == 0 {
			var b bytes.Buffer
			zw, _ := flate.NewWriter(&b, flate.BestSpeed)
			zw.Write([]byte(input[1:] + "\r\nzz9 LOGOUT\r\n"))
			zw.Close()
			data = b.Bytes()
		}
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, c)
		if strings.Contains(logs.String(), "panic") {
			t.Fatalf("server panicked on %q:\n%s", input, logs.String())
		}
	})
}

// RFC 8437 §3: UNAUTHENTICATE ends COMPRESS in both directions, after the
// command's CRLF (client) and after the OK's CRLF (server); the session
// goes on uncompressed and may COMPRESS again.
func TestCompressUnauthenticate(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.expect("e", "ENABLE UTF8=ACCEPT", "OK")
	plainC, plainR := r.c, r.r
	r.deflate("c")
	r.expect("s", "SELECT INBOX", "OK")

	// The client ends its stream with a final block right after the CRLF.
	r.send("u UNAUTHENTICATE\r\n")
	if err := r.c.(*zconn).zw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, tagged := r.until("u"); !strings.HasPrefix(tagged, "u OK") {
		t.Fatalf("UNAUTHENTICATE: %q", tagged)
	}
	// The server's stream ends right after the OK.
	if l, err := r.r.ReadString('\n'); err != io.EOF || l != "" {
		t.Fatalf("after the OK: %q, %v; want the end of the DEFLATE stream", l, err)
	}
	r.c, r.r = plainC, plainR
	caps := r.expect("a", "CAPABILITY", "OK")
	if containsLine(caps, "COMPRESS=DEFLATE") {
		t.Errorf("COMPRESS advertised before login: %q", caps)
	}
	r.expect("b", "COMPRESS DEFLATE", "BAD") // not authenticated
	_, tagged := r.cmd("L", "LOGIN "+testUser+` "`+testPassword+`"`)
	if !strings.Contains(tagged, "COMPRESS=DEFLATE") {
		t.Fatalf("LOGIN: %q", tagged)
	}
	// UTF8=ACCEPT ended too: modified UTF-7 again.
	r.expect("d", `CREATE "Ünï"`, "OK") // lenient 8-bit input still works
	if l := r.expect("f", `LIST "" "*"`, "OK"); !containsLine(l, "&ANw-n&AO8-") {
		t.Errorf("LIST after UNAUTHENTICATE: %q", l)
	}

	// A new COMPRESS starts new streams.
	r.deflate("g")
	r.expect("h", "SELECT INBOX", "OK")

	// This time the client just goes on uncompressed, without a final
	// block: the server cannot find where its commands start.
	r.send("u UNAUTHENTICATE\r\n")
	if _, tagged := r.until("u"); !strings.HasPrefix(tagged, "u OK") {
		t.Fatalf("UNAUTHENTICATE: %q", tagged)
	}
	if _, err := r.r.ReadString('\n'); err != io.EOF {
		t.Fatalf("server stream not ended: %v", err)
	}
	r.c, r.r = plainC, plainR
	r.send("x NOOP\r\n")
	if l := r.line(); l != "* BYE invalid compressed data" {
		t.Fatalf("got %q", l)
	}
}

// Garbage while the session waits in IDLE (read by IDLE's own goroutine)
// ends it the same way.
func TestCompressHostileIdle(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.expect("s", "SELECT INBOX", "OK")
	r.deflate("c")
	r.send("i IDLE\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	r.c.(*zconn).Conn.Write([]byte{0xff, 0xff})
	if l := r.line(); l != "* BYE invalid compressed data" {
		t.Fatalf("got %q", l)
	}
	if l, err := r.r.ReadString('\n'); err == nil {
		t.Fatalf("connection open after BYE: %q", l)
	}
}

// BenchmarkDeflateWriter measures the server's compressor on FETCH-like
// text written in the encoder's 32 KiB bursts, and reports the ratio.
func BenchmarkDeflateWriter(b *testing.B) {
	src := []byte(textBody(4 << 20))
	var out countWriter
	w := &deflateWriter{dst: &out}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		for off := 0; off < len(src); off += 32 << 10 {
			w.Write(src[off:min(off+32<<10, len(src))])
		}
	}
	b.ReportMetric(float64(out.n)/float64(int64(b.N)*int64(len(src))), "ratio")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
