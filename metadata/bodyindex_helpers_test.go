package metadata

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/textproto"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// countingStore counts blob reads, to tell whether a search read bodies.
type countingStore struct {
	blobstore.Store
	opens atomic.Int64
}

func (c *countingStore) Open(ctx context.Context, id blobstore.ID, off, n int64) (io.ReadCloser, error) {
	c.opens.Add(1)
	return c.Store.Open(ctx, id, off, n)
}

// openIndexed opens a node over dir that reads bodies from blobs, with
// the body index configured by opts (an unpaced worker), and serves it.
func openIndexed(t testing.TB, dir string, blobs blobstore.Store, opts BodyIndexOptions) *env {
	t.Helper()
	clock := &testClock{}
	clock.t.Store(1_700_000_000)
	opts.noPace = true
	n, err := Open(Options{Dir: dir, Shards: 16, Blobs: blobs, BodyIndex: opts, Logger: slog.New(slog.DiscardHandler), Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	n.pwParams = fastPasswords
	return serve(t, n)
}

// textMeta stores raw in blobs and describes it as the frontend would
// for a single-part message: the top-level header and one text part with
// its content type, charset and transfer encoding. A multipart message
// gets no MIME tree, so its whole body is searched as text/plain (the
// search package's own tests cover MIME trees).
func textMeta(t testing.TB, blobs blobstore.Store, raw string) *metadatapb.MessageMeta {
	t.Helper()
	id, size, err := blobs.Put(context.Background(), strings.NewReader(raw), 0)
	if err != nil {
		t.Fatal(err)
	}
	hdrEnd := len(raw)
	if i := strings.Index(raw, "\r\n\r\n"); i >= 0 {
		hdrEnd = i + 4
	}
	meta := &metadatapb.MessageMeta{BlobId: id, Size: uint64(size), Header: []byte(raw[:hdrEnd])}
	h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(raw[:hdrEnd]))).ReadMIMEHeader()
	if err != nil && err != io.EOF {
		t.Fatalf("header: %v", err)
	}
	ct, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") {
		return meta
	}
	meta.Part = &metadatapb.MimePart{
		HeaderLength: uint64(hdrEnd), BodyOffset: uint64(hdrEnd), BodyLength: uint64(len(raw) - hdrEnd),
		ContentType: ct, Charset: params["charset"],
		TransferEncoding: strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))),
	}
	return meta
}

// testRaws returns n messages: a few single-part messages whose text is
// split by encodings (QP soft breaks, base64, Latin-1), then messages of
// the bench corpus, except that every message at an index i with
// i%10 == 5 is a small one holding the unique word uniq(i).
func testRaws(t testing.TB, n int) []string {
	t.Helper()
	raws := []string{
		"Subject: qp\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
			"soft bro=\r\nken needle=\r\nwork and Stra=C3=\r\n=9Fe\r\n",
		"Subject: b64\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			"R3LDvMOfZSBhdXMgTcO8bmNoZW4s\r\nIHRva2VuLWFjcm9zcy1iYXNlNjQ=\r\n", // "Grüße aus München, token-across-base64"
		"Subject: latin\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
			"Gr=FC=DFe aus K=F6ln\r\n",
	}
	g, err := corpus.NewGenerator(corpus.Config{Seed: 11, Messages: n, MaxAttachment: 2048})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(raws); i < n; i++ {
		if i%10 == 5 {
			raws = append(raws, fmt.Sprintf("Subject: u%d\r\n\r\nthe word %s is here\r\n", i, uniq(i)))
			continue
		}
		m, err := g.Message(0, i)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, string(m.Raw))
	}
	return raws
}

// uniq is the unique word of message i of testRaws (i%10 == 5), in
// another case than written.
func uniq(i int) string { return fmt.Sprintf("zqu%04dx", i) }

// appendRaws appends the messages to a mailbox, 100 per call, with
// \Flagged on every third, and returns their metas in UID order.
func appendRaws(t testing.TB, e *env, blobs blobstore.Store, user string, mbox uint64, raws []string) {
	t.Helper()
	for i := 0; i < len(raws); i += 100 {
		var msgs []*metadatapb.NewMessage
		for j := i; j < min(i+100, len(raws)); j++ {
			nm := &metadatapb.NewMessage{Meta: textMeta(t, blobs, raws[j])}
			if j%3 == 0 {
				nm.Flags = []string{`\Flagged`}
			}
			msgs = append(msgs, nm)
		}
		must(e.client.Append(context.Background(), &metadatapb.AppendRequest{User: user, MailboxId: mbox, Messages: msgs}))
	}
}

func searchUIDs(t testing.TB, e *env, user string, mbox uint64, key *metadatapb.SearchKey) []uint32 {
	t.Helper()
	resp, err := e.client.Search(context.Background(), &metadatapb.SearchRequest{User: user, MailboxId: mbox, Key: key, Now: 1_700_000_000})
	if err != nil {
		t.Fatalf("search %v: %v", key, err)
	}
	return resp.Uids
}

// indexAll runs the indexer on a mailbox until it has nothing left to do.
func indexAll(t testing.TB, e *env, user string, mbox uint64) {
	t.Helper()
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("indexer does not converge")
		}
		more, err := e.node.index.indexStep(context.Background(), mboxRef{user, mbox})
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			return
		}
	}
}

// segments returns the [start, end, count] of a mailbox's good segments.
func segments(t testing.TB, e *env, user string, mbox uint64) [][3]uint32 {
	t.Helper()
	n := e.node
	mb := must(readMailbox(n.db, base.ShardOf(user, n.shards), user, mbox))
	segs := must(readSegments(n.db, base.ShardOf(user, n.shards), user, mbox, mb.UIDValidity))
	var out [][3]uint32
	for _, s := range segs {
		if s.bad {
			t.Fatalf("bad segment at %d", s.start)
		}
		out = append(out, [3]uint32{s.start, s.rec.End, s.rec.Count})
	}
	return out
}

func kBody(s string) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Body{Body: s}}
}
func kText(s string) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Text{Text: s}}
}
func kNot(k *metadatapb.SearchKey) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Not{Not: k}}
}
func kAnd(ks ...*metadatapb.SearchKey) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_And{And: &metadatapb.SearchKeys{Keys: ks}}}
}
func kOr(ks ...*metadatapb.SearchKey) *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Or{Or: &metadatapb.SearchKeys{Keys: ks}}}
}
func kFlagged() *metadatapb.SearchKey {
	return &metadatapb.SearchKey{Key: &metadatapb.SearchKey_Flag{Flag: `\Flagged`}}
}

func sameUIDs(t testing.TB, what string, got, want []uint32) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}
