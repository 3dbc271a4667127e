// Package proxyproto accepts the PROXY protocol (version 2, binary, and
// version 1, text; haproxy's proxy-protocol.txt) in front of a stream
// listener, so that a frontend behind a TCP load balancer sees the client's
// address instead of the balancer's.
//
// NewListener decorates a net.Listener. Its Accept returns only connections
// whose header has been read and checked; the header is read by a goroutine
// per connection under a short deadline (Options.HeaderTimeout), so a client
// that connects and stays silent never holds up Accept for anyone else. The
// returned connections report the original client as RemoteAddr and their
// Read starts at the first byte after the header.
//
// Invariants:
//   - Exactly the header's bytes are consumed: bytes the client sent after
//     it in the same segment (a TLS ClientHello, typically) are delivered by
//     the first Read, in order.
//   - Sizes are bounded: a version 1 line is at most 107 bytes (the spec's
//     maximum), a version 2 payload at most MaxV2Payload bytes; anything
//     larger is refused before it is buffered.
//   - A header is only believed from a trusted peer (Options.Trusted; empty
//     trusts every peer). A required header that is missing, malformed or
//     sent by an untrusted peer closes the connection; nothing of it reaches
//     the caller.
//   - LOCAL (version 2) and UNKNOWN (version 1) headers, and version 2
//     headers for families other than TCP over IPv4/IPv6, are accepted and
//     leave the real peer address in place, as the spec requires. TLVs are
//     skipped after their framing is checked.
package proxyproto
