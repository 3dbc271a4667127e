package proxyproto

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// AppendV2 appends h in the binary format to b: TCP over IPv4 or IPv6 when
// h has addresses (IPv4 only when both are IPv4), else UNSPEC. It is what
// a proxy sends; tests and tools use it to stand in for haproxy.
func (h *Header) AppendV2(b []byte) []byte {
	b = append(b, sigV2...)
	if !h.HasAddresses() {
		// LOCAL, or PROXY without usable addresses: UNSPEC, no block.
		return append(b, 0x20|byte(h.Command&0x0f), 0x00, 0, 0)
	}
	src, dst := h.Source.Addr(), h.Destination.Addr()
	if src.Is4() && dst.Is4() {
		b = append(b, 0x21, 0x11, 0, 12)
		s4, d4 := src.As4(), dst.As4()
		b = append(b, s4[:]...)
		b = append(b, d4[:]...)
	} else {
		b = append(b, 0x21, 0x21, 0, 36)
		s16, d16 := src.As16(), dst.As16()
		b = append(b, s16[:]...)
		b = append(b, d16[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, h.Source.Port())
	return binary.BigEndian.AppendUint16(b, h.Destination.Port())
}

// AppendV1 appends h as a text line to b: TCP4 or TCP6 when h has
// addresses of one family, else UNKNOWN.
func (h *Header) AppendV1(b []byte) []byte {
	src, dst := h.Source.Addr(), h.Destination.Addr()
	if !h.HasAddresses() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return append(b, "PROXY UNKNOWN\r\n"...)
	}
	proto := "TCP6"
	if src.Is4() {
		proto = "TCP4"
	}
	return fmt.Appendf(b, "PROXY %s %s %s %s %s\r\n", proto,
		src.String(), dst.String(),
		strconv.Itoa(int(h.Source.Port())), strconv.Itoa(int(h.Destination.Port())))
}
