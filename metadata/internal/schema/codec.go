package schema

import (
	"encoding/binary"
	"fmt"
)

// Record format bytes: the first byte of every record value, so a record
// layout can change later without guessing.
const (
	formatUserV1    byte = 1
	formatUserV2    byte = 2 // V1 + ObjectKey (schema version 4)
	formatMailboxV1 byte = 1
	formatStateV1   byte = 1
	formatStateV2   byte = 2 // + MsgDates
)

// UserRecord is a user's account record.
type UserRecord struct {
	// PasswordHash is the encoded argon2id hash (internal/password).
	PasswordHash string
	// NextMailboxID is the id the next created mailbox gets; ids are never
	// reused by the same user.
	NextMailboxID uint64
	// UIDValiditySeed is the last UIDVALIDITY handed out: the next one is
	// max(seed+1, now), so a recreated mailbox never repeats one.
	UIDValiditySeed uint32
	// ObjectKey keys the RFC 8474 object ids of the user's mailboxes and
	// messages (package objectid). Set when the user is created (or by the
	// migration to version 4) and never changed: ids must not change.
	ObjectKey []byte
}

// MailboxRecord is a mailbox's status, updated in the batch of every change.
type MailboxRecord struct {
	Name          string
	SpecialUse    string
	UIDValidity   uint32
	UIDNext       uint32
	HighestModSeq uint64
	Messages      uint32
	Unseen        uint32
	Deleted       uint32
	// Recent counts messages with UID >= FirstRecentUID.
	Recent         uint32
	FirstRecentUID uint32
	Size           uint64
}

// System flag bits of MsgState.System.
const (
	FlagSeen uint8 = 1 << iota
	FlagAnswered
	FlagFlagged
	FlagDeleted
	FlagDraft
)

// MsgState is the mutable part of a message: modseq, flags, and copies of
// its size and dates (kept here so that counters are updated, and SEARCH
// by flag, date or size is answered, without reading the much larger
// meta record).
type MsgState struct {
	ModSeq   uint64
	Size     uint64
	System   uint8    // FlagSeen | ...
	Keywords []string // as first stored; compared case-insensitively
	// Dates are copies of the MessageMeta dates; HasDates is false only
	// for a record written before schema version 4.
	Dates    MsgDates
	HasDates bool
}

// MsgDates are a message's dates as in its MessageMeta: unix seconds and
// zone offsets east of UTC in seconds. A zero SentDate means none.
type MsgDates struct {
	Internal     int64
	InternalZone int32
	Save         int64
	Sent         int64
	SentZone     int32
}

// zigzag maps signed to unsigned so that small negatives stay short.
func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) byte1() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail("byte")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) u32() uint32 {
	v := d.uvarint()
	if v > 0xFFFFFFFF {
		d.fail("u32")
		return 0
	}
	return uint32(v)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.fail("string")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", ErrCorrupt, what)
	}
}

func (d *decoder) finish(format, want byte) error {
	if d.err != nil {
		return d.err
	}
	if format != want {
		return fmt.Errorf("%w: record format %d", ErrCorrupt, format)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	return nil
}

// Encode returns the value bytes of r.
func (r *UserRecord) Encode() []byte {
	e := encoder{b: []byte{formatUserV2}}
	e.str(r.PasswordHash)
	e.uvarint(r.NextMailboxID)
	e.uvarint(uint64(r.UIDValiditySeed))
	e.str(string(r.ObjectKey))
	return e.b
}

// DecodeUserRecord decodes a value written by UserRecord.Encode, or a
// version 1 record (no ObjectKey) that the migration to schema 4 upgrades.
func DecodeUserRecord(b []byte) (UserRecord, error) {
	d := decoder{b: b}
	f := d.byte1()
	r := UserRecord{PasswordHash: d.str(), NextMailboxID: d.uvarint(), UIDValiditySeed: d.u32()}
	if f == formatUserV1 {
		return r, d.finish(f, formatUserV1)
	}
	if k := d.str(); k != "" {
		r.ObjectKey = []byte(k)
	}
	return r, d.finish(f, formatUserV2)
}

// Encode returns the value bytes of r.
func (r *MailboxRecord) Encode() []byte {
	e := encoder{b: make([]byte, 0, 48+len(r.Name))}
	e.b = append(e.b, formatMailboxV1)
	e.str(r.Name)
	e.str(r.SpecialUse)
	for _, v := range []uint64{
		uint64(r.UIDValidity), uint64(r.UIDNext), r.HighestModSeq,
		uint64(r.Messages), uint64(r.Unseen), uint64(r.Deleted),
		uint64(r.Recent), uint64(r.FirstRecentUID), r.Size,
	} {
		e.uvarint(v)
	}
	return e.b
}

// DecodeMailboxRecord decodes a value written by MailboxRecord.Encode.
func DecodeMailboxRecord(b []byte) (MailboxRecord, error) {
	d := decoder{b: b}
	f := d.byte1()
	var r MailboxRecord
	r.Name = d.str()
	r.SpecialUse = d.str()
	r.UIDValidity = d.u32()
	r.UIDNext = d.u32()
	r.HighestModSeq = d.uvarint()
	r.Messages = d.u32()
	r.Unseen = d.u32()
	r.Deleted = d.u32()
	r.Recent = d.u32()
	r.FirstRecentUID = d.u32()
	r.Size = d.uvarint()
	return r, d.finish(f, formatMailboxV1)
}

// Encode returns the value bytes of s.
// Records with dates are written in format 2, others (only in tests of
// old stores) in format 1.
func (s *MsgState) Encode() []byte {
	e := encoder{b: make([]byte, 0, 40)}
	format := formatStateV1
	if s.HasDates {
		format = formatStateV2
	}
	e.b = append(e.b, format)
	e.uvarint(s.ModSeq)
	e.uvarint(s.Size)
	e.b = append(e.b, s.System)
	e.uvarint(uint64(len(s.Keywords)))
	for _, k := range s.Keywords {
		e.str(k)
	}
	if s.HasDates {
		d := s.Dates
		e.uvarint(zigzag(d.Internal))
		e.uvarint(zigzag(int64(d.InternalZone)))
		e.uvarint(zigzag(d.Save))
		e.uvarint(zigzag(d.Sent))
		e.uvarint(zigzag(int64(d.SentZone)))
	}
	return e.b
}

// DecodeMsgState decodes a value written by MsgState.Encode.
func DecodeMsgState(b []byte) (MsgState, error) {
	d := decoder{b: b}
	f := d.byte1()
	var s MsgState
	s.ModSeq = d.uvarint()
	s.Size = d.uvarint()
	s.System = d.byte1()
	n := d.uvarint()
	if n > uint64(len(d.b)) { // each keyword takes at least one byte
		d.fail("keyword count")
	}
	if d.err == nil && n > 0 {
		s.Keywords = make([]string, 0, n)
		for i := uint64(0); i < n && d.err == nil; i++ {
			s.Keywords = append(s.Keywords, d.str())
		}
	}
	if f != formatStateV2 {
		return s, d.finish(f, formatStateV1)
	}
	s.HasDates = true
	s.Dates.Internal = unzigzag(d.uvarint())
	s.Dates.InternalZone = d.zone()
	s.Dates.Save = unzigzag(d.uvarint())
	s.Dates.Sent = unzigzag(d.uvarint())
	s.Dates.SentZone = d.zone()
	return s, d.finish(f, formatStateV2)
}

// zone decodes a zone offset, which must fit an int32.
func (d *decoder) zone() int32 {
	v := unzigzag(d.uvarint())
	if v < -1<<31 || v > 1<<31-1 {
		d.fail("zone")
		return 0
	}
	return int32(v)
}
