package search

import "github.com/postbus/postbus/proto/metadatapb"

// Short constructors for criteria trees in tests.

func kAll() *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_All{All: true}}
}

func kAnd(ks ...*metadatapb.SearchKey) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_And{And: &metadatapb.SearchKeys{Keys: ks}}}
}

func kOr(ks ...*metadatapb.SearchKey) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Or{Or: &metadatapb.SearchKeys{Keys: ks}}}
}

func kNot(k *metadatapb.SearchKey) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Not{Not: k}}
}

func kUIDs(uids ...uint32) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Uids{Uids: metadatapb.NewUidSet(uids...)}}
}

func kFlag(f string) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Flag{Flag: f}}
}

func kHeader(field, value string) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Header{Header: &metadatapb.HeaderMatch{Field: field, Value: value}}}
}

func kBody(s string) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Body{Body: s}}
}
func kText(s string) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Text{Text: s}}
}

func dm(op metadatapb.DateOp, y, m, d int32) *metadatapb.DateMatch {
	return &metadatapb.DateMatch{Op: op, Year: y, Month: m, Day: d}
}

func kInternal(op metadatapb.DateOp, y, m, d int32) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_InternalDate{InternalDate: dm(op, y, m, d)}}
}

func kSent(op metadatapb.DateOp, y, m, d int32) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SentDate{SentDate: dm(op, y, m, d)}}
}

func kSaved(op metadatapb.DateOp, y, m, d int32) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_SaveDate{SaveDate: dm(op, y, m, d)}}
}

func kLarger(n uint64) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Larger{Larger: n}}
}
func kSmaller(n uint64) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Smaller{Smaller: n}}
}
func kModseq(n uint64) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_ModseqMin{ModseqMin: n}}
}
func kOlder(n int64) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_OlderSecs{OlderSecs: n}}
}
func kYounger(n int64) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_YoungerSecs{YoungerSecs: n}}
}

const (
	before = metadatapb.DateOp_DATE_BEFORE
	on     = metadatapb.DateOp_DATE_ON
	since  = metadatapb.DateOp_DATE_SINCE
)

func kEmailID(id string) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_EmailId{EmailId: id}}
}
func kThreadID(id string) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_ThreadId{ThreadId: id}}
}
