package frontend

import (
	"strings"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// MessageMeta field numbers (proto/metadata.proto) that FETCH items read.
// Asking the metadata node for only these (FetchRequest.meta_fields) keeps
// the header block and MIME tree out of an ENVELOPE or FLAGS sync, which is
// most of what a client fetches from a large mailbox.
const (
	metaBlobID       = 1
	metaSize         = 2
	metaInternalDate = 3
	metaInternalZone = 4
	metaSaveDate     = 5
	metaEnvelope     = 6
	metaBodyStruct   = 7
	metaBody         = 8
	metaHeader       = 9
	metaPart         = 10
	metaPreview      = 13
)

// sectionFields are what a body section needs: the blob, its size, the
// stored top-level header and the MIME tree (message.OpenSection).
var sectionFields = []uint32{metaBlobID, metaSize, metaHeader, metaPart}

// fetchMetaFields lists the MessageMeta fields items read; nil means all
// of them (for an item this list does not know). Callers ask only when
// some item needs meta.
func fetchMetaFields(items []wire.FetchItem) []uint32 {
	var f []uint32
	add := func(nums ...uint32) {
		for _, n := range nums {
			if !containsField(f, n) {
				f = append(f, n)
			}
		}
	}
	for _, it := range items {
		if nodeHeaderSection(it) {
			continue // FetchRequest.header_filters
		}
		switch it.Name {
		case "UID", "FLAGS", "MODSEQ", "EMAILID", "THREADID": // ids: FetchRequest.want_object_ids
		case "INTERNALDATE":
			add(metaInternalDate, metaInternalZone)
		case "SAVEDATE":
			add(metaSaveDate)
		case "RFC822.SIZE":
			add(metaSize)
		case "ENVELOPE":
			add(metaEnvelope)
		case "BODYSTRUCTURE":
			add(metaBodyStruct)
		case "BODY":
			add(metaBody)
		case "PREVIEW":
			add(metaPreview)
		case "BODY[]", "BINARY[]", "BINARY.SIZE[]", "RFC822", "RFC822.HEADER", "RFC822.TEXT":
			add(sectionFields...)
		default:
			return nil // an item this list does not know: everything
		}
	}
	return f
}

func containsField(f []uint32, n uint32) bool {
	for _, x := range f {
		if x == n {
			return true
		}
	}
	return false
}

// fetchNames are the response names of the section items of a FETCH,
// computed once per command rather than once per message.
func fetchNames(items []wire.FetchItem) []string {
	names := make([]string, len(items))
	for i, it := range items {
		switch it.Name {
		case "BODY[]", "BINARY[]", "RFC822", "RFC822.HEADER", "RFC822.TEXT":
			names[i] = responseName(it)
		}
	}
	return names
}

// metaFieldsIf is fetchMetaFields when meta is wanted at all.
func metaFieldsIf(needMeta bool, items []wire.FetchItem) []uint32 {
	if !needMeta {
		return nil
	}
	return fetchMetaFields(items)
}

// nodeHeaderSection reports whether the metadata node answers item it
// itself (FetchRequest.header_filters): BODY[HEADER.FIELDS (...)] or
// BODY[HEADER.FIELDS.NOT (...)] of the message, not of a part. That is
// what a client's message list asks for, page after page; the node sends
// the few fields rather than the header block and MIME tree.
func nodeHeaderSection(it wire.FetchItem) bool {
	if it.Name != "BODY[]" || it.Section == nil || len(it.Section.Part) > 0 {
		return false
	}
	spec := strings.ToUpper(it.Section.Specifier)
	return spec == "HEADER.FIELDS" || spec == "HEADER.FIELDS.NOT"
}

// headerFilters returns the node-answered sections of items (one filter
// each) and, per item, the index of its answer in
// MessageRecord.header_sections, or -1.
func headerFilters(items []wire.FetchItem) ([]*metadatapb.HeaderFilter, []int) {
	var fs []*metadatapb.HeaderFilter
	idx := make([]int, len(items))
	for i, it := range items {
		idx[i] = -1
		if nodeHeaderSection(it) {
			idx[i] = len(fs)
			fs = append(fs, &metadatapb.HeaderFilter{
				Fields: it.Section.Fields,
				Not:    strings.EqualFold(it.Section.Specifier, "HEADER.FIELDS.NOT"),
			})
		}
	}
	return fs, idx
}
