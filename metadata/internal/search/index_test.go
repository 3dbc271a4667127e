package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	benchcorpus "github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// memIndex is the index of a list of messages kept in memory, in segments
// of the given sizes, with postings stored encoded as the node stores them
// (schema.EncodePostings), so the codec is part of every comparison.
type memIndex struct {
	segs []memSegment
}

type memSegment struct {
	start, end uint32
	post       map[uint32][]byte
	unindexed  []uint32
}

func buildMemIndex(t testing.TB, msgs []*Message, bodies BodySource, segSize int) *memIndex {
	t.Helper()
	ctx := context.Background()
	b := NewSegmentBuilder()
	idx := &memIndex{}
	for i := 0; i < len(msgs); i += segSize {
		part := msgs[i:min(i+segSize, len(msgs))]
		b.Reset()
		for _, m := range part {
			if err := b.Add(ctx, m, bodies); err != nil {
				t.Fatal(err)
			}
		}
		s := memSegment{start: part[0].UID, end: part[len(part)-1].UID, post: map[uint32][]byte{}}
		err := b.Postings(func(tri uint32, uids []uint32) error {
			s.post[tri] = schema.EncodePostings(s.start, tri, uids)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s.unindexed = slices.Clone(b.Unindexed())
		idx.segs = append(idx.segs, s)
	}
	return idx
}

// candidates returns the UIDs the index lets through: the candidates of
// each segment, and every UID above the last segment (the unindexed tail).
func (idx *memIndex) candidates(t testing.TB, q *IndexQuery, msgs []*Message) map[uint32]bool {
	t.Helper()
	out := map[uint32]bool{}
	var last uint32
	for _, s := range idx.segs {
		c, err := q.Candidates(func(tri uint32) ([]uint32, error) {
			v, ok := s.post[tri]
			if !ok {
				return nil, nil
			}
			return schema.DecodePostings(nil, s.start, s.end, tri, v)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range append(c, s.unindexed...) {
			out[u] = true
		}
		last = s.end
	}
	for _, m := range msgs {
		if m.UID > last {
			out[m.UID] = true
		}
	}
	return out
}

// scan is the unindexed search: every message evaluated.
func scan(t testing.TB, m *Matcher, msgs []*Message, bodies BodySource, only map[uint32]bool) []uint32 {
	t.Helper()
	var out []uint32
	for _, msg := range msgs {
		if only != nil && !only[msg.UID] {
			continue
		}
		ok, err := m.Match(context.Background(), msg, bodies)
		if err != nil {
			t.Fatalf("uid %d: %v", msg.UID, err)
		}
		if ok {
			out = append(out, msg.UID)
		}
	}
	return out
}

// edgeMessages are messages whose text sits where a decoder or a buffer
// splits it: QP soft breaks inside words, base64 lines and quanta,
// non-ASCII at chunk edges, an encapsulated message, a Latin-1 part.
func edgeMessages() []string {
	long := strings.Repeat("filler text with Grüße ", 2000) // > readBufSize
	return []string{
		crlf("Subject: qp\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n") +
			qpSoftBreaks("soft broken needlework and Stra=C3=9Fe over lines", 7) + "\r\n",
		crlf("Subject: b64\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n") +
			b64(long+"BASE64-boundary-token München"+long),
		crlf("Subject: plain\n\n") + long[:readBufSize-3] + "ÄÖÜ-split-rune\r\nnext line here\r\n",
		crlf("Subject: latin\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n") +
			"Gr=FC=DFe aus K=F6ln, cr=E8me br=FBl=E9e\r\n",
		raw1, raw2, raw3, raw4,
	}
}

// diffCorpus builds the messages of the differential test: the package's
// corpus, the edge messages and bench corpus messages.
func diffCorpus(t testing.TB, benchN int) ([]*Message, *memBodies, []string) {
	t.Helper()
	var raws []string
	raws = append(raws, edgeMessages()...)
	g, err := benchcorpus.NewGenerator(benchcorpus.Config{Seed: 7, Messages: benchN, MaxAttachment: 2048})
	if err != nil {
		t.Fatal(err)
	}
	for i := range benchN {
		m, err := g.Message(0, i)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, string(m.Raw))
	}
	bodies := &memBodies{blobs: map[string]string{}}
	var msgs []*Message
	uid := uint32(0)
	for i, raw := range raws {
		uid += 1 + uint32(i%3) // UIDs with gaps
		meta := testMessage(t, fmt.Sprintf("blob%d", i), raw)
		if i == 7 {
			meta.Part = nil // raw4 as stored without a MIME tree
		}
		bodies.blobs[meta.BlobId] = raw
		flags := []string{}
		if i%4 == 0 {
			flags = append(flags, `\Flagged`)
		}
		msgs = append(msgs, &Message{UID: uid, ModSeq: uint64(i + 1), Flags: flags, Meta: meta})
	}
	return msgs, bodies, raws
}

// randomNeedle draws a needle: a substring of a message (which may span
// line breaks, QP soft breaks or base64 text), re-cased, or a fixed word
// with non-ASCII letters, or something short.
func randomNeedle(r *rand.Rand, raws []string) string {
	fixed := []string{"münchen", "STRASSE", "straße", "grüße aus", "CRÈME BRÛLÉE", "köln", "ä", "zq", "zqb", "kelvin", "\u212a",
		"needlework", "needle-in-html", "giraffe", "zebra", "base64-boundary-token", "split-rune\r\nnext", "ÖÜ-s", "secretword",
		"preamble-word", "äöü", "e-split", "k\u00f6ln", "epilogue-word", "subject: inner", "from: inner@", "x-custom: value", "", "a", "ab", "=\r\n"}
	if r.IntN(3) == 0 {
		return fixed[r.IntN(len(fixed))]
	}
	raw := raws[r.IntN(len(raws))]
	if len(raw) < 2 {
		return raw
	}
	i := r.IntN(len(raw) - 1)
	n := 1 + r.IntN(min(14, len(raw)-i))
	s := []rune(raw[i : i+n])
	for j := range s {
		if r.IntN(2) == 0 {
			s[j] = []rune(strings.ToUpper(string(s[j])))[0]
		}
	}
	return string(s)
}

func randomKey(r *rand.Rand, raws []string, depth int) *metadatapb.SearchKey {
	leaf := func() *metadatapb.SearchKey {
		switch r.IntN(6) {
		case 0, 1:
			return kBody(randomNeedle(r, raws))
		case 2, 3:
			return kText(randomNeedle(r, raws))
		case 4:
			return kFlag(`\Flagged`)
		default:
			return kHeader("subject", randomNeedle(r, raws))
		}
	}
	if depth > 2 || r.IntN(2) == 0 {
		return leaf()
	}
	switch r.IntN(3) {
	case 0:
		return kAnd(randomKey(r, raws, depth+1), randomKey(r, raws, depth+1))
	case 1:
		return kOr(randomKey(r, raws, depth+1), randomKey(r, raws, depth+1))
	default:
		return kNot(randomKey(r, raws, depth+1))
	}
}

// TestIndexDifferential is the invariant of the index: for random keys,
// evaluating only the candidates it yields gives exactly the result of
// evaluating every message, with messages expunged after the build, over
// several segment sizes.
func TestIndexDifferential(t *testing.T) {
	msgs, bodies, raws := diffCorpus(t, 200)
	r := rand.New(rand.NewPCG(1, 2))
	// Expunge about a fifth of the messages after indexing: their UIDs
	// stay in the postings and must not leak into results.
	var live []*Message
	for _, m := range msgs {
		if r.IntN(5) != 0 {
			live = append(live, m)
		}
	}
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	sizes := []int{1, 7, 64, 1000}
	idxs := make([]*memIndex, len(sizes))
	for i, n := range sizes {
		// Odd sizes read bodies a few bytes at a time, so that trigrams
		// span reads and runes split between them.
		src := &memBodies{blobs: bodies.blobs}
		if n%2 == 1 {
			src.chunk = 5
		}
		idxs[i] = buildMemIndex(t, msgs[:len(msgs)-5], src, n) // a 5-message tail
	}
	pruned := 0
	for i := range 300 {
		key := randomKey(r, raws, 0)
		m, err := Compile(key, now)
		if err != nil {
			t.Fatal(err)
		}
		q := m.IndexQuery()
		if q == nil {
			continue
		}
		want := scan(t, m, live, bodies, nil)
		for j, idx := range idxs {
			cand := idx.candidates(t, q, msgs)
			got := scan(t, m, live, bodies, cand)
			if !slices.Equal(got, want) {
				t.Fatalf("seg %d query %d %v: indexed %v, scan %v", sizes[j], i, key, got, want)
			}
			if j == 0 && len(cand) < len(msgs) {
				pruned++
			}
		}
	}
	if pruned < 50 {
		t.Errorf("the index narrowed only %d queries", pruned)
	}
}

// TestIndexQueryShape checks which keys the index may narrow.
func TestIndexQueryShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  *metadatapb.SearchKey
		ok   bool
	}{
		{"body", kBody("hello"), true},
		{"text", kText("hello"), true},
		{"short body", kBody("he"), false},
		{"short non-ascii is long enough", kBody("äb"), true}, // 3 folded bytes
		{"empty", kBody(""), false},
		{"not body", kNot(kBody("hello")), false},
		{"and body flag", kAnd(kFlag(`\Seen`), kBody("hello")), true},
		{"and short", kAnd(kBody("he"), kFlag(`\Seen`)), false},
		{"or body body", kOr(kBody("hello"), kText("world")), true},
		{"or body flag", kOr(kBody("hello"), kFlag(`\Seen`)), false},
		{"header", kHeader("subject", "hello"), false},
		{"long needle", kBody(strings.Repeat("abcdefghij", 50)), true},
	} {
		m, err := Compile(tc.key, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got := m.IndexQuery() != nil; got != tc.ok {
			t.Errorf("%s: narrowable %v, want %v", tc.name, got, tc.ok)
		}
	}
}

// TestSegmentBuilderUnreadable: a message whose blob cannot be read is
// listed as unindexed, not silently absent; UIDs must ascend.
func TestSegmentBuilderUnreadable(t *testing.T) {
	ctx := context.Background()
	b := NewSegmentBuilder()
	meta := testMessage(t, "missing", raw1)
	if err := b.Add(ctx, &Message{UID: 3, Meta: meta}, &memBodies{blobs: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	if got := b.Unindexed(); !slices.Equal(got, []uint32{3}) {
		t.Fatalf("unindexed %v", got)
	}
	if err := b.Add(ctx, &Message{UID: 3, Meta: meta}, nil); err == nil {
		t.Fatal("repeated UID accepted")
	}
	if err := b.Add(ctx, nil, nil); err == nil {
		t.Fatal("nil message accepted")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.Add(cctx, &Message{UID: 9, Meta: meta}, newMemBodies(map[*metadatapb.MessageMeta]string{meta: raw1})); err == nil {
		t.Fatal("cancelled build went on")
	}
}

// TestIndexEdgeNeedles pins needles that span the places where text is
// split: QP soft breaks, base64 quanta, read buffers (inside a rune), a
// line break, an encapsulated header. Each must be found through the
// index exactly as by a scan.
func TestIndexEdgeNeedles(t *testing.T) {
	msgs, bodies, _ := diffCorpus(t, 0)
	chunked := &memBodies{blobs: bodies.blobs, chunk: 3}
	idx := buildMemIndex(t, msgs, chunked, 2)
	for _, tc := range []struct {
		key  *metadatapb.SearchKey
		want int
	}{
		{kBody("NEEDLEWORK"), 1}, {kBody("straße over"), 1}, {kBody("boundary-token münchen"), 1},
		{kBody("äöü-split-rune\r\nnext"), 1}, {kBody("grüße aus köln"), 1}, {kBody("crème brûlée"), 2},
		// BODY matches no header, not even an encapsulated message's
		// (RFC 9051 §6.4.4); TEXT does.
		{kText("subject: inner subject"), 1}, {kBody("subject: inner subject"), 0}, {kText("subject: dessert"), 1},
		{kBody("subject: dessert"), 0}, {kBody("giraffe"), 1}, {kBody("5 \u212a."), 1}, {kBody("5 k."), 1},
		{kBody(strings.Repeat("FILLER text with grüße ", 4)), 2}, {kBody(strings.Repeat("filler text with grüße ", 4) + "x"), 0},
		{kBody("secretword"), 0}, {kBody("epilogue-word"), 0}, {kText("x-custom: value with"), 1},
	} {
		m, err := Compile(tc.key, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := scan(t, m, msgs, bodies, nil)
		got := scan(t, m, msgs, bodies, idx.candidates(t, m.IndexQuery(), msgs))
		if len(want) != tc.want || !slices.Equal(got, want) {
			t.Errorf("%v: indexed %v, scan %v, want %d hits", tc.key, got, want, tc.want)
		}
	}
}

func TestNeedleTrigramsBounded(t *testing.T) {
	long := foldString(strings.Repeat("the quick brown fox jumps over the lazy dog ", 20))
	got := needleTrigrams(long, KindBody)
	if len(got) != maxNeedleTrigrams || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatalf("trigrams %v", got)
	}
	all := map[uint32]bool{}
	for i := 0; i+3 <= len(long); i++ {
		all[uint32(long[i])<<16|uint32(long[i+1])<<8|uint32(long[i+2])] = true
	}
	for _, tri := range got {
		if !all[tri] {
			t.Fatalf("trigram %06x is not the needle's", tri)
		}
	}
	if got := needleTrigrams(foldString("abcab"), KindHeader); !slices.Equal(got, []uint32{KindHeader | 0x414243, KindHeader | 0x424341, KindHeader | 0x434142}) {
		t.Fatalf("short needle: %x", got)
	}
}
