// Package base holds the leaf types shared by every part of postbus: the
// identifiers of users and mailboxes, UIDs and MODSEQs, the sentinel errors
// that cross package and process boundaries, and the shard function.
//
// It imports nothing outside the standard library so that frontend, metadata,
// blobstore and cmd can all depend on it without pulling each other in
// (after pebble's internal/base).
package base
