package schema

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The text index (table TableTextIndex) is derived data: the trigram
// postings of the body text of a mailbox's messages, built in segments of
// consecutive UIDs by the node's background indexer. It is never exported
// with a user (ExportUser skips DerivedTables), is dropped with its
// mailbox or user, and may be lost or damaged at any time: a missing or
// undecodable segment only means its messages are searched by reading
// them. See package metadata/internal/search (IndexQuery) for what a
// segment may answer.
//
//	[mbox prefix][0x00][start u32]            -> TextSegment (its directory record)
//	[mbox prefix][0x01][start u32][trigram u32] -> postings (EncodePostings)
//
// where [mbox prefix] is MailboxPrefix(shard, TableTextIndex, user, mbox).
// A segment covers every UID in [start, End]; segments do not overlap.
// Its postings map a trigram (search.KindBody/KindHeader | 3 bytes) to
// the UIDs of the segment's messages that contain it. TrigramUnindexed
// lists the messages whose text could not be read when the segment was
// built: they are candidates of every query.
const (
	textSegmentDir  byte = 0x00
	textSegmentPost byte = 0x01
)

// TrigramUnindexed is the postings key of a segment's messages that must
// always be read (no trigram value reaches it: trigrams use 25 bits).
const TrigramUnindexed uint32 = 0xFFFFFFFF

// formatTextSegmentV1 and formatPostingsV1 are the record formats.
const (
	formatTextSegmentV1 byte = 1
	formatPostingsV1    byte = 1
)

// TextSegment is the directory record of one text index segment.
type TextSegment struct {
	// UIDValidity of the mailbox when the segment was built: a segment of
	// another incarnation of the mailbox id is ignored.
	UIDValidity uint32
	// End is the last UID the segment covers (Start is in the key).
	End uint32
	// Count is how many messages were indexed: when fewer than half of
	// them are still there, the segment is rebuilt.
	Count uint32
	// Postings is how many (trigram, UID) postings the segment holds,
	// which bounds what merging segments may write in one batch.
	Postings uint32
}

// TextSegmentPrefix is the prefix of the directory records of a mailbox's
// text index segments.
func TextSegmentPrefix(shard uint32, user string, mbox uint64) []byte {
	return append(MailboxPrefix(shard, TableTextIndex, user, mbox), textSegmentDir)
}

// TextSegmentKey is the directory record of the segment starting at start.
func TextSegmentKey(shard uint32, user string, mbox uint64, start uint32) []byte {
	return binary.BigEndian.AppendUint32(TextSegmentPrefix(shard, user, mbox), start)
}

// TextSegmentStart returns the start UID of a directory record key.
func TextSegmentStart(k []byte) (uint32, error) { return UIDFromKey(k) }

// TextPostingsPrefix is the prefix of the postings of the segment starting
// at start; PrefixEnd of it bounds them.
func TextPostingsPrefix(shard uint32, user string, mbox uint64, start uint32) []byte {
	k := append(MailboxPrefix(shard, TableTextIndex, user, mbox), textSegmentPost)
	return binary.BigEndian.AppendUint32(k, start)
}

// TextPostingsKey is the key of the postings of one trigram of a segment.
func TextPostingsKey(shard uint32, user string, mbox uint64, start, trigram uint32) []byte {
	return binary.BigEndian.AppendUint32(TextPostingsPrefix(shard, user, mbox, start), trigram)
}

// Encode returns the value bytes of s.
func (s *TextSegment) Encode() []byte {
	e := encoder{b: make([]byte, 0, 16)}
	e.b = append(e.b, formatTextSegmentV1)
	e.uvarint(uint64(s.UIDValidity))
	e.uvarint(uint64(s.End))
	e.uvarint(uint64(s.Count))
	e.uvarint(uint64(s.Postings))
	return e.b
}

// DecodeTextSegment decodes a value written by TextSegment.Encode.
func DecodeTextSegment(b []byte) (TextSegment, error) {
	d := decoder{b: b}
	f := d.byte1()
	s := TextSegment{UIDValidity: d.u32(), End: d.u32(), Count: d.u32(), Postings: d.u32()}
	return s, d.finish(f, formatTextSegmentV1)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// EncodePostings encodes the UIDs (ascending, within [start, end]) of the
// postings of trigram in the segment starting at start: a format byte,
// the count and the gaps as uvarints (the first from start), and a CRC-32C
// over the segment start, the trigram and all of that, so that a damaged
// value, or one under the wrong key, does not decode.
func EncodePostings(start, trigram uint32, uids []uint32) []byte {
	e := encoder{b: make([]byte, 0, 8+len(uids)+4)}
	e.b = append(e.b, formatPostingsV1)
	e.uvarint(uint64(len(uids)))
	prev := start
	for _, u := range uids {
		e.uvarint(uint64(u - prev))
		prev = u
	}
	return binary.BigEndian.AppendUint32(e.b, postingsCRC(start, trigram, e.b))
}

func postingsCRC(start, trigram uint32, body []byte) uint32 {
	var k [8]byte
	binary.BigEndian.PutUint32(k[:4], start)
	binary.BigEndian.PutUint32(k[4:], trigram)
	return crc32.Update(crc32.Checksum(k[:], castagnoli), castagnoli, body)
}

// DecodePostings appends to dst the UIDs of a value written by
// EncodePostings for (start, trigram). It fails with ErrCorrupt when the
// checksum does not match, the UIDs are not strictly ascending, or one
// lies outside [start, end].
func DecodePostings(dst []uint32, start, end, trigram uint32, b []byte) ([]uint32, error) {
	if end < start || len(b) < 5 {
		return dst, fmt.Errorf("%w: postings of %d bytes", ErrCorrupt, len(b))
	}
	body := b[:len(b)-4]
	if binary.BigEndian.Uint32(b[len(b)-4:]) != postingsCRC(start, trigram, body) {
		return dst, fmt.Errorf("%w: postings checksum", ErrCorrupt)
	}
	d := decoder{b: body}
	f := d.byte1()
	n := d.uvarint()
	if n > uint64(len(d.b)) { // every gap takes at least one byte
		d.fail("postings count")
		n = 0
	}
	prev := uint64(start)
	for i := uint64(0); i < n && d.err == nil; i++ {
		gap := d.uvarint()
		if (i > 0 && gap == 0) || gap > uint64(end)-prev {
			d.fail("postings uid")
			break
		}
		prev += gap
		dst = append(dst, uint32(prev))
	}
	return dst, d.finish(f, formatPostingsV1)
}
