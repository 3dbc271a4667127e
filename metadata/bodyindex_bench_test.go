package metadata

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/schema"
	"github.com/postbus/postbus/proto/metadatapb"
)

// memStore is a blob store in memory, so that benchmarks measure search
// and not the disk.
type memStore struct {
	mu    sync.RWMutex
	blobs map[string][]byte
}

func (m *memStore) Put(_ context.Context, r io.Reader, _ int64) (blobstore.ID, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", 0, err
	}
	sum := sha256.Sum256(b)
	id := hex.EncodeToString(sum[:])
	m.mu.Lock()
	m.blobs[id] = b
	m.mu.Unlock()
	return id, int64(len(b)), nil
}

func (m *memStore) Open(_ context.Context, id blobstore.ID, off, n int64) (io.ReadCloser, error) {
	m.mu.RLock()
	b, ok := m.blobs[id]
	m.mu.RUnlock()
	if !ok {
		return nil, base.ErrNoSuchBlob
	}
	b = b[min(off, int64(len(b))):]
	if n >= 0 && n < int64(len(b)) {
		b = b[:n]
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memStore) Stat(_ context.Context, id blobstore.ID) (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.blobs[id]
	if !ok {
		return 0, base.ErrNoSuchBlob
	}
	return int64(len(b)), nil
}

func (m *memStore) Delete(_ context.Context, id blobstore.ID) error {
	m.mu.Lock()
	delete(m.blobs, id)
	m.mu.Unlock()
	return nil
}

func (m *memStore) List(context.Context, func(blobstore.ID, int64, time.Time) bool) error {
	return fmt.Errorf("memStore: List: %w", base.ErrUnavailable)
}

var _ blobstore.Store = (*memStore)(nil)

// synthRaw is a plain-text message of about 1.5 KB of words drawn from a
// vocabulary with a skewed distribution, and one unique word.
func synthRaw(r *rand.Rand, vocab []string, i int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "From: sender%d@example.com\r\nSubject: message %d about %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", i%97, i, vocab[r.IntN(50)])
	for w := 0; w < 220; w++ {
		// Squaring a uniform draw favours the first words, as in text.
		f := r.Float64()
		sb.WriteString(vocab[int(f*f*float64(len(vocab)))])
		if w%14 == 13 {
			sb.WriteString("\r\n")
		} else {
			sb.WriteByte(' ')
		}
	}
	fmt.Fprintf(&sb, "\r\nref zqk%06dx\r\n", i)
	return sb.String()
}

func synthVocab(r *rand.Rand) []string {
	vocab := make([]string, 5000)
	for i := range vocab {
		b := make([]byte, 3+r.IntN(7))
		for j := range b {
			b[j] = "etaoinshrdlucmfwypvbgkqjxz"[min(25, int(r.ExpFloat64()*5))]
		}
		vocab[i] = string(b)
	}
	return vocab
}

// BenchmarkBodySearch compares SEARCH BODY over 10k and 100k messages
// with the body index (after the indexer caught up: a tail below one
// segment remains) and without (every body read and matched). Bodies are
// in memory, so the scan figures are a lower bound for a real store.
func BenchmarkBodySearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("msgs=%d", n), func(b *testing.B) {
			blobs := &memStore{blobs: map[string][]byte{}}
			e := openIndexed(b, b.TempDir(), blobs, BodyIndexOptions{Disabled: true})
			// An indexer whose worker never runs: indexAll drives it.
			e.node.index = newBodyIndexer(e.node, BodyIndexOptions{})
			e.createUser(b, "bob")
			mbox := e.mailbox(b, "bob", "INBOX").Id
			r := rand.New(rand.NewPCG(1, uint64(n)))
			vocab := synthVocab(r)
			ctx := context.Background()
			for i := 0; i < n; i += 500 {
				var msgs []*metadatapb.NewMessage
				for j := i; j < min(i+500, n); j++ {
					msgs = append(msgs, &metadatapb.NewMessage{Meta: textMeta(b, blobs, synthRaw(r, vocab, j))})
				}
				must(e.client.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: mbox, Messages: msgs}))
			}
			start := time.Now()
			indexAll(b, e, "bob", mbox)
			b.Logf("%d messages indexed in %v (%v per message)", n, time.Since(start), time.Since(start)/time.Duration(n))
			var size int64
			p := schema.UserPrefix(base.ShardOf("bob", e.node.shards), schema.TableTextIndex, "bob")
			it := must(e.node.db.NewIter(nil))
			for ok := it.SeekGE(p); ok && bytes.HasPrefix(it.Key(), p); ok = it.Next() {
				size += int64(len(it.Key()) + len(it.Value()))
			}
			it.Close()
			b.Logf("index: %d bytes, %d per message", size, size/int64(n))

			idx := e.node.index
			for _, c := range []struct {
				name    string
				key     *metadatapb.SearchKey
				indexed bool
			}{
				{"indexed/rare", kBody(fmt.Sprintf("ZQK%06dX", n/3)), true},
				{"indexed/miss", kBody("zqnomatchx"), true},
				{"indexed/text-rare", kText(fmt.Sprintf("zqk%06dx", n/2)), true},
				{"indexed/two-words", kAnd(kBody(vocab[300]), kBody(vocab[400])), true},
				{"scan/rare", kBody(fmt.Sprintf("ZQK%06dX", n/3)), false},
				{"scan/miss", kBody("zqnomatchx"), false},
			} {
				b.Run(c.name, func(b *testing.B) {
					e.node.index = nil
					if c.indexed {
						e.node.index = idx
					}
					for b.Loop() {
						must(e.client.Search(ctx, &metadatapb.SearchRequest{User: "bob", MailboxId: mbox, Key: c.key}))
					}
				})
			}
			e.node.index = nil // the worker of idx never ran: Close must not wait for it
		})
	}
}
