package search

import (
	"context"
	"errors"
	"testing"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// byteSource hands out fuzz bytes; it yields zeros once exhausted.
type byteSource struct{ b []byte }

func (s *byteSource) next() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *byteSource) str() string {
	n := int(s.next() % 12)
	if n > len(s.b) {
		n = len(s.b)
	}
	out := string(s.b[:n])
	s.b = s.b[n:]
	return out
}

func (s *byteSource) u64() uint64 {
	var v uint64
	for i := 0; i < 3; i++ {
		v = v<<8 | uint64(s.next())
	}
	if s.next()&1 == 1 {
		v = ^v // reach the top of the range too
	}
	return v
}

// fuzzKey builds a criteria tree, well-formed or not, from fuzz bytes.
func fuzzKey(s *byteSource, depth int) *metadatapb.SearchKey {
	if depth > MaxDepth+2 {
		return kAll()
	}
	kids := func() []*metadatapb.SearchKey {
		n := int(s.next() % 4)
		ks := make([]*metadatapb.SearchKey, n)
		for i := range ks {
			ks[i] = fuzzKey(s, depth+1)
		}
		return ks
	}
	date := func() *metadatapb.DateMatch {
		return &metadatapb.DateMatch{Op: metadatapb.DateOp(s.next() % 4), Year: int32(s.next())*10 + 1900, Month: int32(s.next() % 14), Day: int32(s.next() % 33)}
	}
	switch s.next() % 20 {
	case 0:
		return kAll()
	case 1:
		return kAnd(kids()...)
	case 2:
		return kOr(kids()...)
	case 3:
		return kNot(fuzzKey(s, depth+1))
	case 4:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Uids{Uids: &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: uint32(s.next()), Stop: uint32(s.next())}}}}}
	case 5:
		return kFlag(s.str())
	case 6:
		return kHeader(s.str(), s.str())
	case 7:
		return kBody(s.str())
	case 8:
		return kText(s.str())
	case 9:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_InternalDate{InternalDate: date()}}
	case 10:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SentDate{SentDate: date()}}
	case 11:
		return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SaveDate{SaveDate: date()}}
	case 12:
		return kLarger(s.u64())
	case 13:
		return kSmaller(s.u64())
	case 14:
		return kModseq(s.u64())
	case 15:
		return kOlder(int64(s.u64()))
	case 16:
		return kYounger(int64(s.u64()))
	case 17:
		return nil
	case 18:
		return &metadatapb.SearchKey{}
	default:
		return nested(int(s.next()%80)+1, kAll())
	}
}

// fuzzPart builds a MIME tree with arbitrary, possibly nonsensical offsets.
func fuzzPart(s *byteSource, depth int) *metadatapb.MimePart {
	types := []string{"text/plain", "", "multipart/mixed", "message/rfc822", "image/png", "text/html", "message/global"}
	ctes := []string{"", "base64", "quoted-printable", "7bit", "x-bogus"}
	charsets := []string{"", "utf-8", "iso-8859-1", "x-bogus", "shift_jis", "utf-16"}
	p := &metadatapb.MimePart{
		HeaderOffset:     uint64(s.next()),
		HeaderLength:     uint64(s.next()),
		BodyOffset:       uint64(s.next()),
		BodyLength:       uint64(s.next()),
		ContentType:      types[int(s.next())%len(types)],
		TransferEncoding: ctes[int(s.next())%len(ctes)],
		Charset:          charsets[int(s.next())%len(charsets)],
	}
	if s.next()%7 == 0 {
		p.BodyLength = s.u64()
	}
	if depth < 6 {
		for n := int(s.next() % 3); n > 0; n-- {
			p.Children = append(p.Children, fuzzPart(s, depth+1))
		}
		if s.next()%2 == 0 {
			p.Message = fuzzPart(s, depth+1)
		}
	}
	return p
}

func FuzzMatch(f *testing.F) {
	f.Add([]byte{1, 3, 6, 4, 'f', 'r', 'o', 'm', 1, 'x', 7, 2, 'h', 'i'}, []byte(raw1))
	f.Add([]byte{2, 2, 7, 3, 'c', 'a', 'f', 8, 1, 'Z', 5, 1, 'S'}, []byte(raw2))
	f.Add([]byte{3, 9, 1, 100, 12, 30, 19, 70}, []byte(raw3))
	f.Add([]byte{7, 5, 'o', 'm', 'e', 'g', 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []byte("Subject: =?utf-8?b?////?=\r\n\r\nbody"))
	c := newCorpus(f)
	f.Fuzz(func(t *testing.T, keyBytes, raw []byte) {
		s := &byteSource{b: keyBytes}
		key := fuzzKey(s, 1)
		m, err := Compile(key, c.now)
		if err != nil {
			if !errors.Is(err, base.ErrInvalidArgument) {
				t.Fatalf("Compile error %v does not wrap ErrInvalidArgument", err)
			}
			return
		}
		not, err := Compile(kNot(key), c.now)
		if err != nil && !errors.Is(err, base.ErrInvalidArgument) {
			t.Fatalf("Compile(NOT) error %v", err)
		}
		meta := &metadatapb.MessageMeta{
			BlobId:       "fuzz",
			Size:         uint64(len(raw)),
			Header:       raw,
			Part:         fuzzPart(s, 0),
			InternalDate: int64(s.u64()), InternalDateZone: int32(s.next()) * 900,
			SentDate: int64(s.u64()),
		}
		if s.next()%3 == 0 {
			meta.Part = nil
		}
		bodies := newMemBodies(map[*metadatapb.MessageMeta]string{meta: string(raw)})
		for k, v := range c.bodies.blobs {
			bodies.blobs[k] = v
		}
		msgs := append([]*Message{{UID: 7, ModSeq: 5, Flags: []string{string(raw[:min(len(raw), 5)])}, Meta: meta}}, c.msgs...)
		for _, msg := range msgs {
			got, err := m.Match(context.Background(), msg, bodies)
			if err != nil {
				// Only the body source may fail: offsets outside the blob.
				if !errors.Is(err, base.ErrInvalidArgument) {
					t.Fatalf("Match uid %d: unexpected error %v", msg.UID, err)
				}
				continue
			}
			// The stored digest never changes an answer.
			dmsg := *msg
			dmsg.Digest = Digest(msg.Meta.GetHeader())
			if withDigest, err := m.Match(context.Background(), &dmsg, bodies); err == nil && withDigest != got {
				t.Fatalf("uid %d: %v with the digest, %v without", msg.UID, withDigest, got)
			}
			if not == nil {
				continue
			}
			neg, err := not.Match(context.Background(), msg, bodies)
			if err == nil && neg == got {
				t.Fatalf("uid %d: key and NOT key both %v", msg.UID, got)
			}
		}
	})
}
