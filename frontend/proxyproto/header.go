package proxyproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Errors returned by ParseHeader and, through Options.OnError, by the
// listener. Each is wrapped with detail; test with errors.Is.
var (
	// ErrNoHeader: the connection does not start with a PROXY header.
	ErrNoHeader = errors.New("proxyproto: no PROXY protocol header")
	// ErrInvalidHeader: the header starts like one but is malformed or
	// larger than allowed.
	ErrInvalidHeader = errors.New("proxyproto: invalid PROXY protocol header")
	// ErrUntrusted: the peer is outside Options.Trusted.
	ErrUntrusted = errors.New("proxyproto: peer not trusted to send PROXY headers")
)

// Command is what a header asks for.
type Command uint8

const (
	// Local: the connection was made by the proxy itself (a health check);
	// the real peer address stays.
	Local Command = 0
	// Proxy: the connection is relayed for the client in Header.Source.
	Proxy Command = 1
)

const (
	// MaxV1Line is the longest version 1 header line, CRLF included
	// (proxy-protocol.txt §2.1).
	MaxV1Line = 107
	// MaxV2Payload bounds the bytes after a version 2 header's fixed 16:
	// enough for a UNIX address block (216) and the TLVs haproxy sends; the
	// wire format allows 65535.
	MaxV2Payload = 4096
)

// sigV2 opens every version 2 header (proxy-protocol.txt §2.2).
var sigV2 = []byte("\r\n\r\n\x00\r\nQUIT\n")

const sigV1 = "PROXY "

// Header is a parsed PROXY header.
type Header struct {
	Version int // 1 or 2
	Command Command
	// Source and Destination are set for a Proxy command over TCP/IPv4 or
	// TCP/IPv6; otherwise they are the zero AddrPort and the connection's
	// real endpoints apply.
	Source, Destination netip.AddrPort
}

// HasAddresses reports whether the header names the client's address.
func (h *Header) HasAddresses() bool { return h.Command == Proxy && h.Source.IsValid() }

// ParseHeader reads one PROXY header (either version) from r and returns it.
// It consumes exactly the header: what follows stays in r. It returns an
// error wrapping ErrNoHeader when r does not start with a header's
// signature (then nothing beyond the mismatching prefix has been consumed:
// only Peek was used), ErrInvalidHeader when a header is malformed, or the
// read error (io.EOF, a deadline) when r ends or stalls first.
func ParseHeader(r *bufio.Reader) (*Header, error) {
	first, err := r.Peek(1)
	if err != nil {
		return nil, err
	}
	switch first[0] {
	case sigV2[0]:
		if err := peekPrefix(r, sigV2); err != nil {
			return nil, err
		}
		return parseV2(r)
	case sigV1[0]:
		if err := peekPrefix(r, []byte(sigV1)); err != nil {
			return nil, err
		}
		return parseV1(r)
	}
	return nil, fmt.Errorf("%w: first byte %#02x", ErrNoHeader, first[0])
}

// peekPrefix checks that r starts with sig, one byte more at a time, so
// that a short non-matching input is refused without waiting for len(sig)
// bytes that may never come.
func peekPrefix(r *bufio.Reader, sig []byte) error {
	for n := 2; n <= len(sig); n++ {
		b, err := r.Peek(n)
		if err != nil {
			return err
		}
		if !bytes.Equal(b, sig[:n]) {
			return fmt.Errorf("%w: signature mismatch", ErrNoHeader)
		}
	}
	return nil
}

// parseV2 reads a binary header whose signature r starts with.
func parseV2(r *bufio.Reader) (*Header, error) {
	var fixed [16]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return nil, err
	}
	verCmd, fam := fixed[12], fixed[13]
	n := int(binary.BigEndian.Uint16(fixed[14:16]))
	if verCmd>>4 != 2 {
		return nil, fmt.Errorf("%w: version %d", ErrInvalidHeader, verCmd>>4)
	}
	cmd := Command(verCmd & 0x0f)
	if cmd != Local && cmd != Proxy {
		return nil, fmt.Errorf("%w: command %d", ErrInvalidHeader, cmd)
	}
	if n > MaxV2Payload {
		return nil, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrInvalidHeader, n, MaxV2Payload)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, eofIsUnexpected(err)
	}
	h := &Header{Version: 2, Command: cmd}
	family, proto := fam>>4, fam&0x0f
	if proto > 2 || family > 3 {
		return nil, fmt.Errorf("%w: family/protocol byte %#02x", ErrInvalidHeader, fam)
	}
	var addrLen int
	switch family {
	case 1: // AF_INET
		addrLen = 12
	case 2: // AF_INET6
		addrLen = 36
	case 3: // AF_UNIX
		addrLen = 216
	}
	if n < addrLen {
		return nil, fmt.Errorf("%w: %d-byte payload shorter than its %d-byte address block", ErrInvalidHeader, n, addrLen)
	}
	if err := checkTLVs(payload[addrLen:]); err != nil {
		return nil, err
	}
	// A LOCAL header's address block, if any, is ignored (§2.2); so are
	// UNSPEC, UNIX and datagram addresses, which a TCP listener cannot use.
	if cmd == Local || proto != 1 || (family != 1 && family != 2) {
		return h, nil
	}
	a := payload[:addrLen]
	if family == 1 {
		src := netip.AddrFrom4([4]byte(a[0:4]))
		dst := netip.AddrFrom4([4]byte(a[4:8]))
		h.Source = netip.AddrPortFrom(src, binary.BigEndian.Uint16(a[8:10]))
		h.Destination = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(a[10:12]))
	} else {
		src := netip.AddrFrom16([16]byte(a[0:16]))
		dst := netip.AddrFrom16([16]byte(a[16:32]))
		h.Source = netip.AddrPortFrom(src, binary.BigEndian.Uint16(a[32:34]))
		h.Destination = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(a[34:36]))
	}
	return h, nil
}

// checkTLVs verifies that b is a sequence of complete type-length-value
// records (§2.2.7); their contents are not used.
func checkTLVs(b []byte) error {
	for len(b) > 0 {
		if len(b) < 3 {
			return fmt.Errorf("%w: truncated TLV", ErrInvalidHeader)
		}
		n := int(binary.BigEndian.Uint16(b[1:3]))
		if len(b)-3 < n {
			return fmt.Errorf("%w: TLV %#02x of %d bytes overruns the header", ErrInvalidHeader, b[0], n)
		}
		b = b[3+n:]
	}
	return nil
}

// parseV1 reads a text header whose "PROXY " prefix r starts with:
// "PROXY TCP4 SRC DST SPORT DPORT\r\n", or "PROXY UNKNOWN ...\r\n" (§2.1).
func parseV1(r *bufio.Reader) (*Header, error) {
	var line []byte
	for {
		// Peek grows one byte at a time up to the limit so that no byte
		// after the CRLF is consumed and an endless line is cut short.
		b, err := r.Peek(len(line) + 1)
		if err != nil {
			return nil, eofIsUnexpected(err)
		}
		line = b
		if line[len(line)-1] == '\n' {
			break
		}
		if len(line) >= MaxV1Line {
			return nil, fmt.Errorf("%w: version 1 line longer than %d bytes", ErrInvalidHeader, MaxV1Line)
		}
	}
	text := string(line)
	if _, err := r.Discard(len(line)); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(text, "\r\n") {
		return nil, fmt.Errorf("%w: version 1 line not ended by CRLF", ErrInvalidHeader)
	}
	fields := strings.Split(strings.TrimSuffix(text, "\r\n"), " ")
	h := &Header{Version: 1, Command: Proxy}
	if len(fields) >= 2 && fields[1] == "UNKNOWN" {
		// The rest of the line may hold anything (§2.1): ignore it.
		h.Command = Local
		return h, nil
	}
	if len(fields) != 6 {
		return nil, fmt.Errorf("%w: version 1 line has %d fields, want 6", ErrInvalidHeader, len(fields))
	}
	var want4 bool
	switch fields[1] {
	case "TCP4":
		want4 = true
	case "TCP6":
	default:
		return nil, fmt.Errorf("%w: version 1 protocol %q", ErrInvalidHeader, fields[1])
	}
	src, err1 := parseV1Addr(fields[2], want4)
	dst, err2 := parseV1Addr(fields[3], want4)
	sp, err3 := parseV1Port(fields[4])
	dp, err4 := parseV1Port(fields[5])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, err
	}
	h.Source, h.Destination = netip.AddrPortFrom(src, sp), netip.AddrPortFrom(dst, dp)
	return h, nil
}

func parseV1Addr(s string, want4 bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" || a.Is4() != want4 {
		return netip.Addr{}, fmt.Errorf("%w: version 1 address %q", ErrInvalidHeader, s)
	}
	return a, nil
}

// parseV1Port accepts 0..65535 in decimal without leading zeros (§2.1).
func parseV1Port(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || (len(s) > 1 && s[0] == '0') || s[0] == '+' {
		return 0, fmt.Errorf("%w: version 1 port %q", ErrInvalidHeader, s)
	}
	return uint16(n), nil
}

func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
