package metadatapb

import "google.golang.org/grpc"

// MaxMessageSize bounds one gRPC message between frontends and metadata
// nodes. Select returns a mailbox's whole UID list in one response (about 5
// bytes a message), and a MULTIAPPEND carries every message's precomputed
// metadata, so the 4 MiB gRPC default would break near a million messages a
// mailbox. 256 MiB allows ~50M messages; streaming Select is the way past it.
const MaxMessageSize = 256 << 20

// ServerOptions are the options every server of the Metadata service uses.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageSize),
		grpc.MaxSendMsgSize(MaxMessageSize),
	}
}

// DialOptions are the options every client of the Metadata service uses
// (transport credentials are the caller's).
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)),
	}
}
