package state

import (
	"fmt"
	"math/bits"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// MetaFields selects the fields of a stored MessageMeta that a read
// decodes: bit n stands for field number n. Most reads need a few small
// fields (a date, the envelope) of a record whose bulk is the header block
// and the MIME tree; decoding only the wanted fields saves most of the
// allocation and copying of a FETCH or SEARCH over a large mailbox.
type MetaFields uint64

const (
	// NoMeta reads message state only.
	NoMeta MetaFields = 0
	// AllMeta decodes every field.
	AllMeta MetaFields = ^MetaFields(0)
)

// MetaFieldsOf is the selection of the given MessageMeta field numbers;
// an empty list, or a number that does not fit the mask, selects all.
func MetaFieldsOf(nums ...uint32) MetaFields {
	if len(nums) == 0 {
		return AllMeta
	}
	var f MetaFields
	for _, n := range nums {
		if n == 0 || n >= 64 {
			return AllMeta
		}
		f |= 1 << n
	}
	return f
}

// Has reports whether field number n is selected.
func (f MetaFields) Has(n protowire.Number) bool {
	return f == AllMeta || (n > 0 && n < 64 && f&(1<<n) != 0)
}

// decodeMeta decodes the selected fields of a stored MessageMeta. With a
// partial selection the wanted fields are copied, still encoded, into a
// smaller buffer first, so the unwanted ones are skipped without being
// decoded (protobuf fields may come in any order and repeat; the copy
// keeps every occurrence of a wanted one in order, so the result is what a
// full decode would give for those fields).
func decodeMeta(val []byte, f MetaFields, scratch []byte) (*metadatapb.MessageMeta, []byte, error) {
	m := &metadatapb.MessageMeta{}
	if f != AllMeta {
		last := protowire.Number(bits.Len64(uint64(f)) - 1) // see filterMeta
		buf := scratch[:0]
		for b := val; len(b) > 0; {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				return nil, scratch, fmt.Errorf("meta tag: %w: %v", schema.ErrCorrupt, protowire.ParseError(n))
			}
			if num > last {
				break
			}
			m := protowire.ConsumeFieldValue(num, typ, b[n:])
			if m < 0 {
				return nil, scratch, fmt.Errorf("meta field %d: %w: %v", num, schema.ErrCorrupt, protowire.ParseError(m))
			}
			if f.Has(num) {
				buf = append(buf, b[:n+m]...)
			}
			b = b[n+m:]
		}
		val, scratch = buf, buf
	}
	if err := proto.Unmarshal(val, m); err != nil {
		return nil, scratch, fmt.Errorf("%w: %v", schema.ErrCorrupt, err)
	}
	return m, scratch, nil
}

// filterMeta returns a new slice with the selected fields of an encoded
// MessageMeta, still encoded (every occurrence, in order): what
// decodeMeta would decode, sized exactly so that a record kept in a FETCH
// batch holds no more than it sends. scratch is a reusable buffer; the
// grown one is returned.
func filterMeta(val []byte, f MetaFields, scratch []byte) ([]byte, []byte, error) {
	if f == AllMeta {
		return append([]byte(nil), val...), scratch, nil
	}
	// Records are written by proto.Marshal, which emits the fields of a
	// message in ascending number order: past the highest selected one
	// nothing selected follows, and the rest (the bulky header and MIME
	// tree of an ENVELOPE fetch) is not walked.
	last := protowire.Number(bits.Len64(uint64(f)) - 1)
	buf := scratch[:0]
	for b := val; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, scratch, fmt.Errorf("meta tag: %w: %v", schema.ErrCorrupt, protowire.ParseError(n))
		}
		if num > last {
			break
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return nil, scratch, fmt.Errorf("meta field %d: %w: %v", num, schema.ErrCorrupt, protowire.ParseError(m))
		}
		if num > 0 && num < 64 && f&(1<<num) != 0 {
			buf = append(buf, b[:n+m]...)
		}
		b = b[n+m:]
	}
	return append([]byte(nil), buf...), buf, nil
}
