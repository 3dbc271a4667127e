package state

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/proto/metadatapb"
)

func TestDecodeMetaSelectsFields(t *testing.T) {
	full := &metadatapb.MessageMeta{
		BlobId: "b1", Size: 42, InternalDate: 1700000000, InternalDateZone: 3600, SaveDate: 1700000001,
		Envelope: []byte("(env)"), BodyStructure: []byte("(bs)"), Header: []byte("Subject: x\r\n\r\n"),
		Part:    &metadatapb.MimePart{HeaderLength: 14, Children: []*metadatapb.MimePart{{BodyLength: 3}}},
		Preview: "hi", References: []string{"<a@b>", "<c@d>"},
	}
	raw, err := proto.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		fields MetaFields
		want   *metadatapb.MessageMeta
	}{
		{"all", AllMeta, full},
		{"envelope", MetaFieldsOf(6), &metadatapb.MessageMeta{Envelope: full.Envelope}},
		{"dates and size", MetaFieldsOf(2, 3, 4, 5), &metadatapb.MessageMeta{Size: 42, InternalDate: 1700000000, InternalDateZone: 3600, SaveDate: 1700000001}},
		{"sections", MetaFieldsOf(1, 2, 9, 10), &metadatapb.MessageMeta{BlobId: "b1", Size: 42, Header: full.Header, Part: full.Part}},
		{"repeated", MetaFieldsOf(20), &metadatapb.MessageMeta{References: full.References}},
		{"empty list is all", MetaFieldsOf(), full},
		{"out of range is all", MetaFieldsOf(2, 99), full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := decodeMeta(raw, tc.fields, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, tc.want) {
				t.Fatalf("got %v\nwant %v", got, tc.want)
			}
			// The raw selection decodes to the same.
			b, _, err := filterMeta(raw, tc.fields, nil)
			if err != nil {
				t.Fatal(err)
			}
			fromRaw := &metadatapb.MessageMeta{}
			if err := proto.Unmarshal(b, fromRaw); err != nil || !proto.Equal(fromRaw, tc.want) {
				t.Fatalf("raw: got %v (%v)\nwant %v", fromRaw, err, tc.want)
			}
		})
	}
	// A truncated record is corrupt, for a selection that reads it to the
	// end. (A selection of early fields stops after them: records are
	// written by proto.Marshal, in field order.)
	for _, f := range []MetaFields{AllMeta, MetaFieldsOf(20)} {
		if _, _, err := decodeMeta(raw[:len(raw)-3], f, nil); err == nil {
			t.Fatalf("fields %x: truncated record decoded without error", uint64(f))
		}
		if f != AllMeta {
			if _, _, err := filterMeta(raw[:len(raw)-3], f, nil); err == nil {
				t.Fatalf("fields %x: truncated record filtered without error", uint64(f))
			}
		}
	}
}
