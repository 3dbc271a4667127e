package search

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// nested wraps k in depth-1 NOTs, giving a tree of the given depth.
func nested(depth int, k *metadatapb.SearchKey) *metadatapb.SearchKey {
	for i := 1; i < depth; i++ {
		k = kNot(k)
	}
	return k
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		key  *metadatapb.SearchKey
	}{
		{"nil key", nil},
		{"empty oneof", &metadatapb.SearchKey{}},
		{"or with one key", kOr(kAll())},
		{"or with no keys", kOr()},
		{"or nil keys", &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Or{}}},
		{"not without key", &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Not{}}},
		{"nil child in and", kAnd(kAll(), nil)},
		{"empty child in or", kOr(kAll(), &metadatapb.SearchKey{})},
		{"bad child deep", kAnd(kNot(kOr(kAll(), kNot(nil))))},
		{"too deep", nested(MaxDepth+1, kAll())},
		{"too deep via and", func() *metadatapb.SearchKey {
			k := kAll()
			for i := 0; i < MaxDepth; i++ {
				k = kAnd(k)
			}
			return k
		}()},
		{"feb 30", kInternal(on, 2026, 2, 30)},
		{"feb 29 non-leap", kSent(on, 2025, 2, 29)},
		{"month 13", kSaved(before, 2026, 13, 1)},
		{"month 0", kInternal(since, 2026, 0, 1)},
		{"day 0", kInternal(since, 2026, 1, 0)},
		{"day 32", kInternal(since, 2026, 1, 32)},
		{"year 0", kInternal(since, 0, 1, 1)},
		{"year 10000", kInternal(since, 10000, 1, 1)},
		{"nil date", &metadatapb.SearchKey{Key: &metadatapb.SearchKey_InternalDate{}}},
		{"unknown date op", kInternal(metadatapb.DateOp(7), 2026, 1, 1)},
		{"nil header", &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Header{}}},
		{"empty flag", kFlag("")},
		{"negative older", kOlder(-1)},
		{"negative younger", kYounger(-5)},
		{"empty emailid", kEmailID("")},
		{"emailid with space", kEmailID("M1 2")},
		{"threadid with dot", kThreadID("T1.2")},
		{"threadid of 256", kThreadID("T" + strings.Repeat("a", 255))},
		{"emailid non-ascii", kEmailID("Mé")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile(tc.key, time.Now())
			if !errors.Is(err, base.ErrInvalidArgument) {
				t.Fatalf("Compile = %v, %v; want an error wrapping ErrInvalidArgument", m, err)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	for name, key := range map[string]*metadatapb.SearchKey{
		"max depth":     nested(MaxDepth, kAll()),
		"leap day":      kInternal(on, 2024, 2, 29),
		"year 1":        kInternal(on, 1, 1, 1),
		"and one":       kAnd(kAll()),
		"and none":      kAnd(),
		"nil and keys":  {Key: &metadatapb.SearchKey_And{}},
		"nil uid set":   {Key: &metadatapb.SearchKey_Uids{}},
		"within zero":   kOlder(0),
		"odd field":     kHeader("X Odd:", "v"),
		"empty body":    kBody(""),
		"unicode value": kText("ẞ"),
		"threadid 255":  kThreadID("T" + strings.Repeat("-", 254)),
	} {
		if _, err := Compile(key, time.Now()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNeedsMeta(t *testing.T) {
	tests := []struct {
		name string
		key  *metadatapb.SearchKey
		meta bool
		body bool
	}{
		{"all", kAll(), false, false},
		{"state only", kAnd(kUIDs(1), kNot(kFlag(`\Seen`)), kOr(kModseq(3), kAll())), false, false},
		// Size and dates come from Message.Summary: no meta needed.
		{"size", kLarger(1), false, false},
		{"date in or", kOr(kFlag("x"), kInternal(on, 2026, 1, 1)), false, false},
		{"within", kNot(kOlder(5)), false, false},
		// FROM/TO/CC/BCC/SUBJECT are answered from Message.Digest; any other
		// field parses the header.
		{"digest field", kHeader("from", "x"), false, false},
		{"header", kHeader("x-spam", "x"), true, false},
		{"body under not", kAnd(kUIDs(1), kNot(kBody("x"))), true, true},
		{"text", kText("x"), true, true},
		{"emailid", kAnd(kUIDs(1), kEmailID("M1")), true, false},
		{"threadid", kThreadID("T1"), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile(tc.key, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if m.NeedsMeta() != tc.meta || m.NeedsBody() != tc.body {
				t.Errorf("NeedsMeta, NeedsBody = %v, %v; want %v, %v", m.NeedsMeta(), m.NeedsBody(), tc.meta, tc.body)
			}
		})
	}
}

func TestSummaryDecidesSizeAndDates(t *testing.T) {
	day := func(y int, mo time.Month, d int) int64 { return time.Date(y, mo, d, 12, 0, 0, 0, time.UTC).Unix() }
	sum := &Summary{Size: 500, InternalDate: day(2026, 3, 1), SaveDate: day(2026, 3, 2), SentDate: day(2026, 2, 28)}
	// Meta says otherwise: the Summary must win, so a node that fills it
	// from the state record never needs the meta.
	meta := &metadatapb.MessageMeta{Size: 5, InternalDate: day(2020, 1, 1)}
	for _, tc := range []struct {
		name string
		key  *metadatapb.SearchKey
		want bool
	}{
		{"larger", kLarger(499), true},
		{"smaller", kSmaller(499), false},
		{"internal on", kInternal(on, 2026, 3, 1), true},
		{"internal on meta's day", kInternal(on, 2020, 1, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile(tc.key, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range []*Message{{UID: 1, Summary: sum}, {UID: 1, Summary: sum, Meta: meta}} {
				if got, err := m.Match(context.Background(), msg, nil); err != nil || got != tc.want {
					t.Errorf("meta %v: Match = %v, %v; want %v", msg.Meta != nil, got, err, tc.want)
				}
			}
		})
	}
	// Without Summary and Meta a date key cannot be answered.
	m, err := Compile(kLarger(1), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Match(context.Background(), &Message{UID: 1}, nil); err == nil {
		t.Error("size key matched a message without Summary or Meta")
	}
}

func TestDayNumber(t *testing.T) {
	tests := []struct {
		secs   int64
		offset int32
		want   int64
	}{
		{0, 0, 0},
		{86399, 0, 0},
		{86400, 0, 1},
		{-1, 0, -1},
		{-86400, 0, -1},
		{-86401, 0, -2},
		{0, -1, -1},
		{86399, 1, 1},
	}
	for _, tc := range tests {
		if got := dayNumber(tc.secs, tc.offset); got != tc.want {
			t.Errorf("dayNumber(%d, %d) = %d, want %d", tc.secs, tc.offset, got, tc.want)
		}
	}
}
