package proxyproto

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Options configure a listener. The zero value reads an optional header
// from any peer with the default limits.
type Options struct {
	// Required closes every connection that does not start with a valid
	// header, and every connection from an untrusted peer. Set it on a
	// listener that only a proxy reaches. Without it, a trusted peer's
	// header is used when present, and an untrusted peer's connection is
	// passed through untouched (its RemoteAddr is the real peer).
	//
	// IMAP is a server-speaks-first protocol: a direct client sends nothing
	// until the greeting, so with Required false such a client waits
	// HeaderTimeout before the listener gives up on a header and hands the
	// connection over. Prefer Required on listeners behind a proxy.
	Required bool
	// Trusted lists the networks proxies connect from. Empty trusts every
	// peer.
	Trusted []netip.Prefix
	// HeaderTimeout bounds the wait for the header; zero means 5 s.
	HeaderTimeout time.Duration
	// MaxPending bounds the connections whose header is being read at
	// once; beyond it, Accept on the underlying listener waits. Zero means
	// 512.
	MaxPending int
	// OnError, if set, is told about every connection the listener closes
	// and why (for logging). It is called from the per-connection goroutine.
	OnError func(remote net.Addr, err error)
}

// Conn is a connection accepted through a PROXY listener.
type Conn struct {
	net.Conn
	header *Header // nil: no header (passed through)
	remote net.Addr
	rest   []byte // bytes read past the header, delivered first
	mu     sync.Mutex
}

// RemoteAddr is the client named by the header, else the real peer.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// Header is the header the connection started with, or nil.
func (c *Conn) Header() *Header { return c.header }

// Read returns the bytes buffered while reading the header first.
func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		c.mu.Unlock()
		return n, nil
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}

// NewListener returns l wrapped so that accepted connections have had their
// PROXY header read and checked. Closing the result closes l.
func NewListener(l net.Listener, opts Options) net.Listener {
	if opts.HeaderTimeout <= 0 {
		opts.HeaderTimeout = 5 * time.Second
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 512
	}
	pl := &listener{
		Listener: l,
		opts:     opts,
		ready:    make(chan net.Conn),
		done:     make(chan struct{}),
		loopDone: make(chan struct{}),
		sem:      make(chan struct{}, opts.MaxPending),
	}
	go pl.acceptLoop()
	return pl
}

type listener struct {
	net.Listener
	opts      Options
	ready     chan net.Conn // handshaken connections
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	loopDone  chan struct{} // closed when acceptLoop ends; loopErr set
	loopErr   error
	sem       chan struct{}
}

// Accept returns the next connection whose header was read (or that was
// passed through), or the underlying listener's permanent error. Temporary
// errors of the underlying Accept are waited out inside.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
	case <-l.loopDone:
		// Connections still being handshaken are dropped by their
		// goroutines (done is closed by then or the listener is dead).
		return nil, l.loopErr
	}
}

func (l *listener) Close() error {
	err := net.ErrClosed
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.Listener.Close()
	})
	return err
}

func (l *listener) acceptLoop() {
	defer close(l.loopDone)
	for {
		select {
		case l.sem <- struct{}{}:
		case <-l.done:
			l.loopErr = &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
			return
		}
		nc, err := l.Listener.Accept()
		if err != nil {
			<-l.sem
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if !l.pause() {
					return
				}
				continue
			}
			l.loopErr = err
			return
		}
		go func() {
			defer func() { <-l.sem }()
			c, err := l.handshake(nc)
			if err != nil {
				nc.Close()
				if l.opts.OnError != nil {
					l.opts.OnError(nc.RemoteAddr(), err)
				}
				return
			}
			select {
			case l.ready <- c:
			case <-l.done:
				c.Close()
			case <-l.loopDone:
				c.Close()
			}
		}()
	}
}

// pause waits after a temporary Accept error (EMFILE and the like clear
// with time; the caller could do nothing else with it); false when the
// listener was closed meanwhile.
func (l *listener) pause() bool {
	select {
	case <-time.After(50 * time.Millisecond):
		return true
	case <-l.done:
		l.loopErr = &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
		return false
	}
}

// handshake reads nc's header under the header deadline as Options say.
func (l *listener) handshake(nc net.Conn) (*Conn, error) {
	c := &Conn{Conn: nc, remote: nc.RemoteAddr()}
	if !l.trusted(nc.RemoteAddr()) {
		if l.opts.Required {
			return nil, fmt.Errorf("%w: %v", ErrUntrusted, nc.RemoteAddr())
		}
		return c, nil
	}
	if err := nc.SetReadDeadline(time.Now().Add(l.opts.HeaderTimeout)); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(nc, 512)
	h, err := ParseHeader(br)
	if err != nil {
		var ne net.Error
		timedOut := errors.As(err, &ne) && ne.Timeout()
		noHeader := errors.Is(err, ErrNoHeader) || (timedOut && br.Buffered() == 0)
		if l.opts.Required || !noHeader {
			if timedOut {
				return nil, fmt.Errorf("%w: none within %v: %v", ErrNoHeader, l.opts.HeaderTimeout, err)
			}
			return nil, err
		}
		// Optional and absent: pass through, with what was peeked.
	} else {
		c.header = h
		if h.HasAddresses() {
			c.remote = net.TCPAddrFromAddrPort(h.Source)
		}
	}
	if n := br.Buffered(); n > 0 {
		c.rest = make([]byte, n)
		if _, err := br.Read(c.rest); err != nil {
			return nil, err
		}
	}
	if err := nc.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return c, nil
}

func (l *listener) trusted(a net.Addr) bool {
	if len(l.opts.Trusted) == 0 {
		return true
	}
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, p := range l.opts.Trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
