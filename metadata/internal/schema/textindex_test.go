package schema

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestTextSegmentRecord(t *testing.T) {
	s := TextSegment{UIDValidity: 1700000000, End: 4096, Count: 512, Postings: 1 << 20}
	got, err := DecodeTextSegment(s.Encode())
	if err != nil || got != s {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {2, 1, 1, 1}, append(s.Encode(), 0), s.Encode()[:3]} {
		if _, err := DecodeTextSegment(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%x: %v, want ErrCorrupt", bad, err)
		}
	}
}

func TestPostings(t *testing.T) {
	const start, end, tri = 100, 611, 0x414243
	for _, uids := range [][]uint32{nil, {100}, {100, 101, 611}, {105, 300, 301, 302, 600}} {
		v := EncodePostings(start, tri, uids)
		got, err := DecodePostings(nil, start, end, tri, v)
		if err != nil || !slices.Equal(got, uids) {
			t.Fatalf("%v: decoded %v, %v", uids, got, err)
		}
	}
	good := EncodePostings(start, tri, []uint32{105, 300})
	flip := bytes.Clone(good)
	flip[2] ^= 1
	for _, tc := range []struct {
		name            string
		start, end, tri uint32
		v               []byte
	}{
		{"another trigram's", start, end, tri + 1, good},
		{"another segment's", start + 1, end, tri, good},
		{"bit flip", start, end, tri, flip},
		{"truncated", start, end, tri, good[:len(good)-1]},
		{"short", start, end, tri, []byte{1, 0}},
		{"uid past end", start, 200, tri, good},
		{"end before start", start, start - 1, tri, good},
		{"repeated uid", start, end, tri, EncodePostings(start, tri, []uint32{105, 105})},
		{"descending uid", start, end, tri, EncodePostings(start, tri, []uint32{300, 105})},
	} {
		if _, err := DecodePostings(nil, tc.start, tc.end, tc.tri, tc.v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", tc.name, err)
		}
	}
}

func TestTextIndexKeys(t *testing.T) {
	dir := TextSegmentKey(3, "bob", 7, 513)
	if !bytes.HasPrefix(dir, TextSegmentPrefix(3, "bob", 7)) || !bytes.HasPrefix(dir, MailboxPrefix(3, TableTextIndex, "bob", 7)) {
		t.Fatalf("directory key %x outside its prefixes", dir)
	}
	if s, err := TextSegmentStart(dir); err != nil || s != 513 {
		t.Fatalf("start %d, %v", s, err)
	}
	post := TextPostingsKey(3, "bob", 7, 513, TrigramUnindexed)
	if !bytes.HasPrefix(post, TextPostingsPrefix(3, "bob", 7, 513)) || bytes.HasPrefix(post, TextSegmentPrefix(3, "bob", 7)) {
		t.Fatalf("postings key %x", post)
	}
	// Deleting the mailbox's range drops both kinds; users never share it.
	p := MailboxPrefix(3, TableTextIndex, "bob", 7)
	if !bytes.HasPrefix(post, p) || bytes.Compare(post, PrefixEnd(p)) >= 0 {
		t.Fatal("postings outside the mailbox range")
	}
	if slices.Contains(UserTables, TableTextIndex) || !slices.Contains(DerivedTables, TableTextIndex) || !slices.Contains(MailboxTables, TableTextIndex) {
		t.Fatal("text index table lists")
	}
}

// FuzzDecodePostings: whatever the stored bytes, decoding returns
// ascending UIDs within the segment or ErrCorrupt, never panics.
func FuzzDecodePostings(f *testing.F) {
	f.Add(uint32(1), uint32(512), uint32(0x10203), EncodePostings(1, 0x10203, []uint32{1, 7, 512}))
	f.Add(uint32(5), uint32(4), uint32(0), []byte{1, 1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, start, end, tri uint32, v []byte) {
		uids, err := DecodePostings(nil, start, end, tri, v)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		for i, u := range uids {
			if u < start || u > end || (i > 0 && u <= uids[i-1]) {
				t.Fatalf("uids %v outside [%d, %d] or not ascending", uids, start, end)
			}
		}
		if !bytes.Equal(EncodePostings(start, tri, uids), v) {
			t.Fatalf("%x decodes to %v, which encodes differently", v, uids)
		}
		if _, err := DecodeTextSegment(v); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatal(err)
		}
	})
}
