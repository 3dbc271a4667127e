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
		})
	}
	// A truncated record is corrupt, whatever the selection.
	for _, f := range []MetaFields{AllMeta, MetaFieldsOf(6)} {
		if _, _, err := decodeMeta(raw[:len(raw)-3], f, nil); err == nil {
			t.Fatalf("fields %x: truncated record decoded without error", uint64(f))
		}
	}
}
