// Package faultstore wraps a blobstore.Store and injects errors and latency
// into its operations, for the failure-path tests of the packages that use a
// blob store (after pebble's vfs/errorfs).
//
// A Store consults its Injector before every operation (and, for readers
// returned by Open, before every Read). Injectors compose: On restricts one
// to some operations, Nth/After/Randomly choose which calls, Chain runs
// several, Latency delays. With no injector the Store is transparent and
// passes the blobstoretest conformance suite.
//
// Faults keep the Store contract except where a fault is meant to break it:
// an injected Put error is raised before the inner Put, so nothing is
// stored, while OpPutAck fails a Put after the inner Put succeeded, the
// "stored but the acknowledgement was lost" case that leaves an unreferenced
// blob for the garbage collector.
package faultstore
