package proxyproto

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// rejects collects what OnError reports.
type rejects struct{ ch chan error }

func newRejects() *rejects { return &rejects{ch: make(chan error, 16)} }

func (r *rejects) record(_ net.Addr, err error) { r.ch <- err }

func (r *rejects) next(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no rejection reported")
		return nil
	}
}

func listen(t *testing.T, opts Options) (net.Listener, *rejects) {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rj := newRejects()
	opts.OnError = rj.record
	l := NewListener(raw, opts)
	t.Cleanup(func() { l.Close() })
	return l, rj
}

func dial(t *testing.T, l net.Listener, send []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if len(send) > 0 {
		if _, err := c.Write(send); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func accept(t *testing.T, l net.Listener) net.Conn {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := l.Accept(); ch <- res{c, err} }()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Accept: %v", r.err)
		}
		t.Cleanup(func() { r.c.Close() })
		return r.c
	case <-time.After(10 * time.Second):
		t.Fatal("Accept did not return")
		return nil
	}
}

func readN(t *testing.T, c net.Conn, n int) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

var client = Header{Command: Proxy,
	Source:      netip.MustParseAddrPort("203.0.113.9:41000"),
	Destination: netip.MustParseAddrPort("198.51.100.1:993")}

func TestListenerUsesHeaderAddress(t *testing.T) {
	for _, version := range []int{1, 2} {
		l, _ := listen(t, Options{Required: true})
		var hdr []byte
		if version == 1 {
			hdr = client.AppendV1(nil)
		} else {
			hdr = client.AppendV2(nil)
		}
		// The header and the first application bytes in one segment, as
		// haproxy sends them before a TLS ClientHello.
		c := dial(t, l, append(hdr, "hello"...))
		sc := accept(t, l)
		if got := sc.RemoteAddr().String(); got != "203.0.113.9:41000" {
			t.Fatalf("v%d: RemoteAddr = %s", version, got)
		}
		if pc := sc.(*Conn); pc.Header() == nil || pc.Header().Version != version {
			t.Fatalf("v%d: Header() = %+v", version, pc.Header())
		}
		if got := readN(t, sc, 5); got != "hello" {
			t.Fatalf("v%d: first read %q", version, got)
		}
		// Both directions still work after the handshake.
		sc.Write([]byte("* OK\r\n"))
		if got := readN(t, c, 6); got != "* OK\r\n" {
			t.Fatalf("v%d: client read %q", version, got)
		}
		c.Write([]byte("more"))
		if got := readN(t, sc, 4); got != "more" {
			t.Fatalf("v%d: second read %q", version, got)
		}
	}
}

func TestListenerLocalKeepsPeer(t *testing.T) {
	l, _ := listen(t, Options{Required: true})
	c := dial(t, l, (&Header{Command: Local}).AppendV2(nil))
	sc := accept(t, l)
	if sc.RemoteAddr().String() != c.LocalAddr().String() {
		t.Fatalf("RemoteAddr = %s, want the real peer %s", sc.RemoteAddr(), c.LocalAddr())
	}
}

func TestListenerRequiredRejects(t *testing.T) {
	tests := []struct {
		name string
		send string
		want error
	}{
		{"no header", "a1 CAPABILITY\r\n", ErrNoHeader},
		{"malformed v1", "PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n", ErrInvalidHeader},
		{"malformed v2", string(v2(0x21, 0x21, inet4Block())), ErrInvalidHeader},
		{"silent", "", ErrNoHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, rj := listen(t, Options{Required: true, HeaderTimeout: 300 * time.Millisecond})
			bad := dial(t, l, []byte(tc.send))
			if err := rj.next(t); !errors.Is(err, tc.want) {
				t.Fatalf("rejection %v, want %v", err, tc.want)
			}
			// The server closed it: the client reads EOF (or a reset).
			bad.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := bad.Read(make([]byte, 1)); err == nil {
				t.Fatalf("read %d bytes from a rejected connection", n)
			}
			// And the listener goes on serving good connections.
			dial(t, l, client.AppendV2(nil))
			if got := accept(t, l).RemoteAddr().String(); got != "203.0.113.9:41000" {
				t.Fatalf("next connection: RemoteAddr %s", got)
			}
		})
	}
}

// A client that connects and sends nothing must not hold up Accept for
// the clients after it.
func TestListenerSilentClientDoesNotBlockAccept(t *testing.T) {
	l, rj := listen(t, Options{Required: true, HeaderTimeout: time.Hour})
	for range 3 {
		dial(t, l, nil) // silent, for an hour
	}
	dial(t, l, client.AppendV1(nil))
	if got := accept(t, l).RemoteAddr().String(); got != "203.0.113.9:41000" {
		t.Fatalf("RemoteAddr %s", got)
	}
	select {
	case err := <-rj.ch:
		t.Fatalf("unexpected rejection: %v", err)
	default:
	}
}

func TestListenerOptionalHeader(t *testing.T) {
	l, _ := listen(t, Options{HeaderTimeout: 200 * time.Millisecond})

	// A header is used when present.
	dial(t, l, client.AppendV2(nil))
	if got := accept(t, l).RemoteAddr().String(); got != "203.0.113.9:41000" {
		t.Fatalf("with header: RemoteAddr %s", got)
	}
	// A client that speaks first without a header (a TLS ClientHello) is
	// handed over at once with its bytes intact.
	c := dial(t, l, []byte("\x16\x03\x01hello"))
	sc := accept(t, l)
	if sc.RemoteAddr().String() != c.LocalAddr().String() {
		t.Fatalf("RemoteAddr %s, want %s", sc.RemoteAddr(), c.LocalAddr())
	}
	if got := readN(t, sc, 8); got != "\x16\x03\x01hello" {
		t.Fatalf("read %q", got)
	}
	// A silent client (server-speaks-first IMAP) after HeaderTimeout.
	c = dial(t, l, nil)
	sc = accept(t, l)
	if sc.RemoteAddr().String() != c.LocalAddr().String() {
		t.Fatalf("silent: RemoteAddr %s, want %s", sc.RemoteAddr(), c.LocalAddr())
	}
	sc.Write([]byte("* OK\r\n"))
	if got := readN(t, c, 6); got != "* OK\r\n" {
		t.Fatalf("silent: client read %q", got)
	}
}

func TestListenerTrusted(t *testing.T) {
	elsewhere := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	loopback := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.0/8")}

	// Required and untrusted: refused even with a valid header.
	l, rj := listen(t, Options{Required: true, Trusted: elsewhere})
	dial(t, l, client.AppendV2(nil))
	if err := rj.next(t); !errors.Is(err, ErrUntrusted) {
		t.Fatalf("rejection %v, want ErrUntrusted", err)
	}

	// Optional and untrusted: passed through, the header not believed
	// (it reaches the application as data).
	l, _ = listen(t, Options{Trusted: elsewhere})
	hdr := client.AppendV1(nil)
	c := dial(t, l, hdr)
	sc := accept(t, l)
	if sc.RemoteAddr().String() != c.LocalAddr().String() {
		t.Fatalf("untrusted: RemoteAddr %s", sc.RemoteAddr())
	}
	if got := readN(t, sc, len(hdr)); got != string(hdr) {
		t.Fatalf("untrusted: read %q", got)
	}

	// Trusted: believed.
	l, _ = listen(t, Options{Required: true, Trusted: loopback})
	dial(t, l, client.AppendV2(nil))
	if got := accept(t, l).RemoteAddr().String(); got != "203.0.113.9:41000" {
		t.Fatalf("trusted: RemoteAddr %s", got)
	}
}

func TestListenerClose(t *testing.T) {
	l, _ := listen(t, Options{Required: true})
	errc := make(chan error, 1)
	go func() { _, err := l.Accept(); errc <- err }()
	l.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept did not return after Close")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Accept: %v", err)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Fatal("dial succeeded after Close")
	}
}
