// Package inproc calls a Metadata service that runs in the same process
// without going through a gRPC transport.
//
// The all-in-one `postbus serve` runs the IMAP frontend and the metadata
// node in one process. Through gRPC, even over an in-memory bufconn,
// every call marshals its request and response, frames them as HTTP/2,
// copies them through a pipe and unmarshals them again; for a FETCH of
// a page of headers that was a third of the server's CPU time. A Client
// instead hands the request value to the server's method and the
// response values back, so nothing is encoded.
//
// Everything else stays as a gRPC call would have it, so that the
// frontend cannot tell the difference:
//
//   - the server's interceptors run, in the order given (the RPC metrics
//     and the cluster's shard gate), with the method's full name;
//   - a handler runs under a context derived from the caller's, cancelled
//     when the call ends or the caller gives up;
//   - errors reach the caller as gRPC status errors with the code a
//     connection would have delivered: a handler's status as it is, a
//     context error as Canceled or DeadlineExceeded, anything else as
//     Unknown;
//   - a server stream delivers messages in order, then io.EOF or the
//     handler's status; Header blocks until the handler sends its header
//     (the Watch subscription relies on that) or ends.
//
// What differs is ownership: a request is read by the handler as the
// caller's value, and a response is the handler's value. Metadata
// handlers do not modify their requests and build fresh responses, and
// callers must not modify a request while a call runs, as with any gRPC
// client. gRPC's message size limits do not apply.
//
// Only the Metadata service is covered: it is what the frontend calls on
// every IMAP command. The Admin service (exports, blob listings) keeps
// using gRPC, where the copy costs nothing next to the work.
package inproc
