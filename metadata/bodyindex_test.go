package metadata

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// twoNodes is one blob store read by a node with the body index and by
// one without, holding the same messages: every search must answer the
// same on both.
type twoNodes struct {
	blobs      *countingStore
	idx, plain *env
	mbox       uint64 // INBOX of "bob", the same id on both
	raws       []string
}

func newTwoNodes(t *testing.T, n, segSize int) *twoNodes {
	return newTwoNodesOpts(t, n, BodyIndexOptions{SegmentSize: segSize})
}

func newTwoNodesOpts(t *testing.T, n int, opts BodyIndexOptions) *twoNodes {
	t.Helper()
	dir, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tn := &twoNodes{blobs: &countingStore{Store: dir}, raws: testRaws(t, n)}
	tn.idx = openIndexed(t, t.TempDir(), tn.blobs, opts)
	tn.plain = openIndexed(t, t.TempDir(), tn.blobs, BodyIndexOptions{Disabled: true})
	for _, e := range []*env{tn.idx, tn.plain} {
		e.createUser(t, "bob")
		tn.mbox = e.mailbox(t, "bob", "INBOX").Id
		appendRaws(t, e, tn.blobs, "bob", tn.mbox, tn.raws)
	}
	return tn
}

func (tn *twoNodes) expunge(t *testing.T, uids ...uint32) {
	t.Helper()
	for _, e := range []*env{tn.idx, tn.plain} {
		must(e.client.Expunge(context.Background(), &metadatapb.ExpungeRequest{User: "bob", MailboxId: tn.mbox, Uids: metadatapb.NewUidSet(uids...), IgnoreDeletedFlag: true}))
	}
}

// compare runs key on both nodes and fails on a difference.
func (tn *twoNodes) compare(t *testing.T, key *metadatapb.SearchKey) []uint32 {
	t.Helper()
	want := searchUIDs(t, tn.plain, "bob", tn.mbox, key)
	sameUIDs(t, fmt.Sprint(key), searchUIDs(t, tn.idx, "bob", tn.mbox, key), want)
	return want
}

// needle draws a needle from the messages (spanning line breaks and
// encodings at times), re-cased, or a fixed one.
func needle(r *rand.Rand, raws []string) string {
	fixed := []string{"needlework", "straße", "STRASSE", "münchen", "token-across-base64", "grüße aus köln", "zq", "zqb", "ab", "",
		"multipart", "content-type: text/plain", "subject:", "\r\n\r\n"}
	if r.IntN(4) == 0 {
		return fixed[r.IntN(len(fixed))]
	}
	raw := raws[r.IntN(len(raws))]
	i := r.IntN(len(raw) - 1)
	s := strings.ToValidUTF8(raw[i:i+1+r.IntN(min(12, len(raw)-i-1))], "") // protobuf strings are UTF-8
	if r.IntN(2) == 0 {
		s = strings.ToUpper(s)
	}
	return s
}

func randomKey(r *rand.Rand, raws []string, depth int) *metadatapb.SearchKey {
	if depth > 1 || r.IntN(2) == 0 {
		switch r.IntN(5) {
		case 0, 1:
			return kBody(needle(r, raws))
		case 2, 3:
			return kText(needle(r, raws))
		default:
			return kFlagged()
		}
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

// TestBodyIndexDifferential: through the Search RPC, the indexed node
// answers random BODY/TEXT keys exactly like the node without an index,
// before and after expunges, with a tail, a rebuilt segment and more
// appends.
func TestBodyIndexDifferential(t *testing.T) {
	tn := newTwoNodes(t, 200, 16)
	indexAll(t, tn.idx, "bob", tn.mbox)
	// 12 segments of 16, the first 8 merged into one.
	want := [][3]uint32{{1, 128, 128}, {129, 144, 16}, {145, 160, 16}, {161, 176, 16}, {177, 192, 16}}
	if got := segments(t, tn.idx, "bob", tn.mbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	r := rand.New(rand.NewPCG(3, 4))
	gone := map[uint32]bool{}
	again := false // raws[:50] appended a second time
	run := func(stage string) {
		for range 120 {
			tn.compare(t, randomKey(r, tn.raws, 0))
		}
		for i := 5; i < len(tn.raws); i += 10 {
			want := []uint32{uint32(i + 1)}
			if gone[uint32(i+1)] {
				want = nil
			}
			if again && i < 50 {
				want = append(want, uint32(201+i))
			}
			sameUIDs(t, stage, tn.compare(t, kText(strings.ToUpper(uniq(i)))), want)
		}
	}
	run("indexed")
	// Expunge most of the second segment and some elsewhere: postings
	// keep the UIDs until the rebuild, results must not.
	var uids []uint32
	for u := uint32(33); u <= 60; u++ {
		uids = append(uids, u)
	}
	uids = append(uids, 1, 2, 100, 250, 256)
	for _, u := range uids {
		gone[u] = true
	}
	tn.expunge(t, uids...)
	run("expunged")
	indexAll(t, tn.idx, "bob", tn.mbox)
	run("rebuilt")
	appendRaws(t, tn.idx, tn.blobs, "bob", tn.mbox, tn.raws[:50])
	appendRaws(t, tn.plain, tn.blobs, "bob", tn.mbox, tn.raws[:50])
	again = true
	run("tail")
	for i := 5; i < 50; i += 10 {
		want := []uint32{uint32(201 + i)}
		if !gone[uint32(i+1)] {
			want = append([]uint32{uint32(i + 1)}, want...)
		}
		sameUIDs(t, "appended again", tn.compare(t, kBody(uniq(i))), want)
	}
}

// TestBodyIndexNarrows: once indexed, a search for a rare word reads the
// bodies of its candidates and of the tail only.
func TestBodyIndexNarrows(t *testing.T) {
	tn := newTwoNodes(t, 200, 32)
	indexAll(t, tn.idx, "bob", tn.mbox)
	tok := uniq(55)
	before := tn.blobs.opens.Load()
	sameUIDs(t, "indexed", searchUIDs(t, tn.idx, "bob", tn.mbox, kBody(tok)), []uint32{56})
	indexed := tn.blobs.opens.Load() - before
	before = tn.blobs.opens.Load()
	sameUIDs(t, "plain", searchUIDs(t, tn.plain, "bob", tn.mbox, kBody(tok)), []uint32{56})
	plain := tn.blobs.opens.Load() - before
	// 200 messages, 6 segments of 32: a tail of 8 and one candidate.
	if indexed > 9 || plain < 200 {
		t.Fatalf("blob reads: indexed %d, plain %d", indexed, plain)
	}
	// A key the index cannot narrow reads everything, and is right.
	tn.compare(t, kNot(kBody(tok)))
}

// TestBodyIndexRebuild: a segment that lost more than half its messages
// is rebuilt, merged with the following ones while they fit.
func TestBodyIndexRebuild(t *testing.T) {
	tn := newTwoNodes(t, 64, 16) // 4 segments, no tail
	indexAll(t, tn.idx, "bob", tn.mbox)
	want := [][3]uint32{{1, 16, 16}, {17, 32, 16}, {33, 48, 16}, {49, 64, 16}}
	if got := segments(t, tn.idx, "bob", tn.mbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	// Half of segment 2 gone: not sparse yet. Then 12 of 16 of it and
	// 6 of segment 3: 4 + 10 fit in one segment of 16.
	tn.expunge(t, 17, 18, 19, 20, 21, 22, 23, 24)
	indexAll(t, tn.idx, "bob", tn.mbox)
	if got := segments(t, tn.idx, "bob", tn.mbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	tn.expunge(t, 25, 26, 27, 28, 33, 34, 35, 36, 37, 38)
	indexAll(t, tn.idx, "bob", tn.mbox)
	want = [][3]uint32{{1, 16, 16}, {17, 48, 14}, {49, 64, 16}}
	if got := segments(t, tn.idx, "bob", tn.mbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 100 {
		tn.compare(t, randomKey(r, tn.raws, 0))
	}
}

// TestBodyIndexCorrupt: damaged postings and directory records never
// change results; the indexer drops and rebuilds them.
func TestBodyIndexCorrupt(t *testing.T) {
	tn := newTwoNodes(t, 64, 16)
	indexAll(t, tn.idx, "bob", tn.mbox)
	n := tn.idx.node
	shard := base.ShardOf("bob", n.shards)
	tok := uniq(25) // in segment 17..32 (UID 26)
	// Replace every postings value of segment 17 with garbage, and the
	// directory record of segment 33 with an undecodable one.
	p := schema.TextPostingsPrefix(shard, "bob", tn.mbox, 17)
	it := must(n.db.NewIter(nil))
	var keys [][]byte
	for ok := it.SeekGE(p); ok && strings.HasPrefix(string(it.Key()), string(p)); ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	it.Close()
	if len(keys) == 0 {
		t.Fatal("no postings for segment 17")
	}
	b := n.db.NewBatch()
	for i, k := range keys {
		v := []byte{1, 2, 3, 4, 5, 6}
		if i%2 == 0 {
			v = schema.EncodePostings(33, 0, []uint32{40}) // valid, but another key's
		}
		must(0, b.Set(k, v, nil))
	}
	must(0, b.Set(schema.TextSegmentKey(shard, "bob", tn.mbox, 33), []byte{9, 9}, nil))
	must(0, b.Commit(pebble.Sync))
	sameUIDs(t, "corrupt", searchUIDs(t, tn.idx, "bob", tn.mbox, kBody(tok)), []uint32{26})
	r := rand.New(rand.NewPCG(7, 8))
	for range 60 {
		tn.compare(t, randomKey(r, tn.raws, 0))
	}
	// The searches reported segment 17; the bad record is found by the
	// indexer itself. Both are rebuilt.
	indexAll(t, tn.idx, "bob", tn.mbox)
	want := [][3]uint32{{1, 16, 16}, {17, 32, 16}, {33, 48, 16}, {49, 64, 16}}
	if got := segments(t, tn.idx, "bob", tn.mbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	before := tn.blobs.opens.Load()
	sameUIDs(t, "repaired", searchUIDs(t, tn.idx, "bob", tn.mbox, kBody(tok)), []uint32{26})
	if reads := tn.blobs.opens.Load() - before; reads > 1 {
		t.Fatalf("%d blob reads after repair", reads)
	}
}

// TestBodyIndexRestart: the index survives a restart and is used by the
// reopened node; messages appended later are found too.
func TestBodyIndexRestart(t *testing.T) {
	dir, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobs := &countingStore{Store: dir}
	raws := testRaws(t, 100)
	metaDir := t.TempDir()
	e := openIndexed(t, metaDir, blobs, BodyIndexOptions{SegmentSize: 25})
	e.createUser(t, "bob")
	mbox := e.mailbox(t, "bob", "INBOX").Id
	appendRaws(t, e, blobs, "bob", mbox, raws)
	indexAll(t, e, "bob", mbox)
	segs := segments(t, e, "bob", mbox)
	e.stop()

	e = openIndexed(t, metaDir, blobs, BodyIndexOptions{SegmentSize: 25})
	if got := segments(t, e, "bob", mbox); fmt.Sprint(got) != fmt.Sprint(segs) {
		t.Fatalf("segments after restart %v, before %v", got, segs)
	}
	before := blobs.opens.Load()
	sameUIDs(t, "after restart", searchUIDs(t, e, "bob", mbox, kBody(uniq(15))), []uint32{16})
	if reads := blobs.opens.Load() - before; reads > 1 { // one candidate, no tail
		t.Fatalf("%d blob reads: the index was not used", reads)
	}
	appendRaws(t, e, blobs, "bob", mbox, []string{"Subject: new\r\n\r\nfreshly appended walrus\r\n"})
	sameUIDs(t, "tail", searchUIDs(t, e, "bob", mbox, kBody("WALRUS")), []uint32{101})
}

// TestBodyIndexConcurrent: searches and appends while the background
// indexer (and explicit steps) build segments: every search is exact.
func TestBodyIndexConcurrent(t *testing.T) {
	dir, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := openIndexed(t, t.TempDir(), dir, BodyIndexOptions{SegmentSize: 8})
	e.createUser(t, "bob")
	mbox := e.mailbox(t, "bob", "INBOX").Id
	raw := func(i int) string { return fmt.Sprintf("Subject: m%d\r\n\r\nbody of zqc%05dx here\r\n", i, i) }
	const total = 160
	var wg sync.WaitGroup
	appended := make(chan int, total)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(appended)
		for i := 1; i <= total; i++ {
			nm := &metadatapb.NewMessage{Meta: textMeta(t, dir, raw(i))}
			if _, err := e.client.Append(context.Background(), &metadatapb.AppendRequest{User: "bob", MailboxId: mbox, Messages: []*metadatapb.NewMessage{nm}}); err != nil {
				t.Error(err)
				return
			}
			appended <- i
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 200 {
			if _, err := e.node.index.indexStep(context.Background(), mboxRef{"bob", mbox}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range appended {
		for _, j := range []int{i, (i + 1) / 2, 1} {
			resp, err := e.client.Search(context.Background(), &metadatapb.SearchRequest{User: "bob", MailboxId: mbox, Key: kBody(fmt.Sprintf("ZQC%05dX", j))})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(resp.Uids) != fmt.Sprintf("[%d]", j) {
				t.Fatalf("after %d appends, search %d: %v", i, j, resp.Uids)
			}
		}
	}
	wg.Wait()
	indexAll(t, e, "bob", mbox)
	// 20 segments of 8, merged by 8: 2 big ones and 4 small ones.
	if segs := segments(t, e, "bob", mbox); len(segs) != 6 || segs[1] != [3]uint32{65, 128, 64} {
		t.Fatalf("segments %v", segs)
	}
}

// TestBodyIndexDerivedData: the index is not exported with a user (an
// index build between export and delete is no conflict), and mailbox and
// user deletion drop it.
func TestBodyIndexDerivedData(t *testing.T) {
	tn := newTwoNodes(t, 40, 8)
	ctx := context.Background()
	n := tn.idx.node
	shard := base.ShardOf("bob", n.shards)
	count := func(user string) int {
		p := schema.UserPrefix(shard, schema.TableTextIndex, user)
		it := must(n.db.NewIter(nil))
		defer it.Close()
		c := 0
		for ok := it.SeekGE(p); ok && strings.HasPrefix(string(it.Key()), string(p)); ok = it.Next() {
			c++
		}
		return c
	}
	admin := adminClient(t, n)
	other := openIndexed(t, t.TempDir(), tn.blobs, BodyIndexOptions{SegmentSize: 8})
	sum := must(moveUser(t, admin, adminClient(t, other.node), "bob", "carol", nil))
	indexAll(t, tn.idx, "bob", tn.mbox)
	if count("bob") == 0 {
		t.Fatal("no index keys")
	}
	must(admin.DeleteUserIfUnchanged(ctx, &metadatapb.DeleteUserIfUnchangedRequest{User: "bob", Checksum: sum}))
	if c := count("bob"); c != 0 {
		t.Fatalf("%d index keys left after the user moved", c)
	}
	// The imported user has no index until its node builds one, and
	// searches right all along.
	cm := other.mailbox(t, "carol", "INBOX").Id
	tok := uniq(35)
	sameUIDs(t, "imported", searchUIDs(t, other, "carol", cm, kBody(tok)), []uint32{36})
	indexAll(t, other, "carol", cm)
	sameUIDs(t, "imported, indexed", searchUIDs(t, other, "carol", cm, kBody(tok)), []uint32{36})

	// A user rename drops the index under the old name; the new name is
	// searched right, and indexed again.
	must(adminClient(t, other.node).RenameUser(ctx, &metadatapb.RenameUserRequest{User: "carol", NewName: "erin"}))
	p0 := schema.UserPrefix(base.ShardOf("carol", other.node.shards), schema.TableTextIndex, "carol")
	it0 := must(other.node.db.NewIter(nil))
	if it0.SeekGE(p0) && strings.HasPrefix(string(it0.Key()), string(p0)) {
		t.Fatal("index keys left under the old name")
	}
	it0.Close()
	em := other.mailbox(t, "erin", "INBOX").Id
	sameUIDs(t, "renamed", searchUIDs(t, other, "erin", em, kBody(tok)), []uint32{36})
	indexAll(t, other, "erin", em)
	sameUIDs(t, "renamed, indexed", searchUIDs(t, other, "erin", em, kBody(tok)), []uint32{36})

	// Mailbox deletion drops its index.
	other.createUser(t, "dave")
	must(other.client.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "dave", Name: "Work"}))
	work := other.mailbox(t, "dave", "Work").Id
	appendRaws(t, other, tn.blobs, "dave", work, tn.raws[:20])
	indexAll(t, other, "dave", work)
	if len(segments(t, other, "dave", work)) == 0 {
		t.Fatal("no segments")
	}
	must(other.client.DeleteMailbox(ctx, &metadatapb.DeleteMailboxRequest{User: "dave", Name: "Work"}))
	n2 := other.node
	p := schema.MailboxPrefix(base.ShardOf("dave", n2.shards), schema.TableTextIndex, "dave", work)
	it := must(n2.db.NewIter(nil))
	if it.SeekGE(p) && strings.HasPrefix(string(it.Key()), string(p)) {
		t.Fatal("index keys left after DELETE")
	}
	it.Close()
	// An index build for a deleted mailbox writes nothing.
	if _, err := other.node.index.indexStep(ctx, mboxRef{"dave", work}); err == nil {
		t.Fatal("indexing a deleted mailbox succeeded")
	}
}

// TestBodyIndexSegmentFull: segments of long texts end early, at
// maxPostings, and the rest of their range is indexed by the next ones.
func TestBodyIndexSegmentFull(t *testing.T) {
	tn := newTwoNodesOpts(t, 100, BodyIndexOptions{SegmentSize: 32, maxPostings: 3000})
	indexAll(t, tn.idx, "bob", tn.mbox)
	segs := segments(t, tn.idx, "bob", tn.mbox)
	if len(segs) <= 100/32 {
		t.Fatalf("segments %v: none ended early", segs)
	}
	next := uint32(1)
	for _, s := range segs {
		if s[0] != next {
			t.Fatalf("segments %v do not tile from 1", segs)
		}
		next = s[1] + 1
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 60 {
		tn.compare(t, randomKey(r, tn.raws, 0))
	}
	for i := 5; i < 100; i += 10 {
		sameUIDs(t, "unique", tn.compare(t, kBody(uniq(i))), []uint32{uint32(i + 1)})
	}
}

// TestBodyIndexMerge: full small segments are merged by mergeFanIn from
// their postings; the merged segment narrows like the small ones did,
// and is rebuilt from the messages once sparse.
func TestBodyIndexMerge(t *testing.T) {
	tn := newTwoNodes(t, 100, 8)
	indexAll(t, tn.idx, "bob", tn.mbox)
	want := [][3]uint32{{1, 64, 64}, {65, 72, 8}, {73, 80, 8}, {81, 88, 8}, {89, 96, 8}}
	if got := segments(t, tn.idx, "bob", tn.mbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	before := tn.blobs.opens.Load()
	sameUIDs(t, "merged", searchUIDs(t, tn.idx, "bob", tn.mbox, kText(uniq(25))), []uint32{26})
	if reads := tn.blobs.opens.Load() - before; reads > 5 { // one candidate, a tail of 4
		t.Fatalf("%d blob reads", reads)
	}
	r := rand.New(rand.NewPCG(11, 12))
	for range 60 {
		tn.compare(t, randomKey(r, tn.raws, 0))
	}
	var gone []uint32
	for u := uint32(1); u <= 40; u++ {
		gone = append(gone, u)
	}
	tn.expunge(t, gone...)
	indexAll(t, tn.idx, "bob", tn.mbox)
	want = [][3]uint32{{1, 64, 24}, {65, 72, 8}, {73, 80, 8}, {81, 88, 8}, {89, 96, 8}}
	if got := segments(t, tn.idx, "bob", tn.mbox); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after expunge: segments %v, want %v", got, want)
	}
	for range 60 {
		tn.compare(t, randomKey(r, tn.raws, 0))
	}
	sameUIDs(t, "rebuilt", tn.compare(t, kBody(uniq(45))), []uint32{46})
}
