package search

import (
	"context"
	"slices"
	"testing"

	"github.com/postbus/postbus/proto/metadatapb"
)

// FuzzIndexSound: for any message (hostile MIME tree and offsets, any
// bytes) and any key, a message the key matches is a candidate of the
// index built from it, whatever the read sizes of the build.
func FuzzIndexSound(f *testing.F) {
	// BODY "fuzz" in a text/plain part at offset 14; TEXT "subject" in
	// the header; BODY "zz w" read one byte at a time.
	f.Add([]byte{7, 4, 'f', 'u', 'z', 'z', 0, 0, 14, 255, 0, 0, 0, 1, 0, 1, 1}, []byte("Subject: x\r\n\r\nhello fuzz world"))
	f.Add([]byte{8, 7, 's', 'u', 'b', 'j', 'e', 'c', 't'}, []byte(raw1))
	f.Add([]byte{7, 4, 'Z', 'Z', ' ', 'W', 0, 0, 14, 255, 0, 2, 1, 1, 0, 1, 1, 0}, []byte("Subject: x\r\n\r\nhello fu=\r\nzz world"))
	f.Add([]byte{1, 2, 7, 3, 0xc3, 0xa9, 'e', 8, 3, 'w', 'o', 'r', 0, 0, 14, 255, 0, 0, 1, 1, 0, 1, 1}, []byte("Subject: x\r\n\r\nhello \xe9e world"))
	now := newCorpus(f).now
	f.Fuzz(func(t *testing.T, keyBytes, raw []byte) {
		s := &byteSource{b: keyBytes}
		m, err := Compile(fuzzKey(s, 1), now)
		if err != nil || m.IndexQuery() == nil {
			return
		}
		meta := &metadatapb.MessageMeta{BlobId: "fuzz", Size: uint64(len(raw)), Header: raw, Part: fuzzPart(s, 0)}
		if s.next()%3 == 0 {
			meta.Part = nil
		}
		msg := &Message{UID: 9, Flags: []string{`\Seen`}, Meta: meta}
		bodies := &memBodies{blobs: map[string]string{"fuzz": string(raw)}, chunk: 1 + int(s.next()%9)}
		ok, err := m.Match(context.Background(), msg, bodies)
		if err != nil || !ok {
			return
		}
		b := NewSegmentBuilder()
		if err := b.Add(context.Background(), msg, bodies); err != nil {
			t.Fatal(err)
		}
		post := map[uint32][]uint32{}
		b.Postings(func(tri uint32, uids []uint32) error {
			post[tri] = slices.Clone(uids)
			return nil
		})
		c, err := m.IndexQuery().Candidates(func(tri uint32) ([]uint32, error) { return post[tri], nil })
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(c, 9) && !slices.Contains(b.Unindexed(), 9) {
			t.Fatalf("message matches but is no candidate of the index")
		}
	})
}
