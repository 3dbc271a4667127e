package schema

import (
	"encoding/binary"
	"fmt"
)

const (
	formatAnnotationV1      byte = 1
	formatAnnotationUsageV1 byte = 1
)

// AnnotationUsageKey is the key of the user's AnnotationUsage record.
func AnnotationUsageKey(shard uint32, user string) []byte {
	return UserPrefix(shard, TableAnnotation, user)
}

// AnnotationPrefix is the prefix of the annotations of one mailbox (mbox
// 0: the user's server annotations).
func AnnotationPrefix(shard uint32, user string, mbox uint64) []byte {
	return binary.BigEndian.AppendUint64(UserPrefix(shard, TableAnnotation, user), mbox)
}

// AnnotationKey is the key of one annotation; entry is canonical.
func AnnotationKey(shard uint32, user string, mbox uint64, entry string) []byte {
	return append(AnnotationPrefix(shard, user, mbox), entry...)
}

// AnnotationUsage counts a user's annotations, for the limits on what a
// user may store (RFC 5464 §7: "servers MUST ensure that size limits are
// enforced").
type AnnotationUsage struct {
	Entries uint64
	// Bytes is the sum of len(entry name)+len(value) of every annotation.
	Bytes uint64
}

// Encode returns the value bytes of u.
func (u *AnnotationUsage) Encode() []byte {
	e := encoder{b: []byte{formatAnnotationUsageV1}}
	e.uvarint(u.Entries)
	e.uvarint(u.Bytes)
	return e.b
}

// DecodeAnnotationUsage decodes a value written by AnnotationUsage.Encode.
func DecodeAnnotationUsage(b []byte) (AnnotationUsage, error) {
	d := decoder{b: b}
	f := d.byte1()
	u := AnnotationUsage{Entries: d.uvarint(), Bytes: d.uvarint()}
	return u, d.finish(f, formatAnnotationUsageV1)
}

// EncodeAnnotation returns the stored form of an annotation value: a
// format byte, then the octets as sent (binary values included).
func EncodeAnnotation(value []byte) []byte {
	return append([]byte{formatAnnotationV1}, value...)
}

// DecodeAnnotation returns the value octets of a stored annotation; they
// alias b.
func DecodeAnnotation(b []byte) ([]byte, error) {
	if len(b) == 0 || b[0] != formatAnnotationV1 {
		return nil, fmt.Errorf("%w: annotation record", ErrCorrupt)
	}
	return b[1:], nil
}
