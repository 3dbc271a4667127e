package search

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/proto/metadatapb"
)

func benchMatch(b *testing.B, key *metadatapb.SearchKey, msg *Message, bodies BodySource, want bool) {
	b.Helper()
	m, err := Compile(key, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ok, err := m.Match(ctx, msg, bodies)
		if err != nil || ok != want {
			b.Fatalf("Match = %v, %v; want %v", ok, err, want)
		}
	}
}

// BenchmarkMatchFlags is the UNSEEN/FLAGGED-style search: state only.
func BenchmarkMatchFlags(b *testing.B) {
	msg := &Message{UID: 4711, ModSeq: 99, Flags: []string{`\Answered`, `\Flagged`, "$Forwarded", "$Junk", "project-x"}}
	key := kAnd(kUIDs(1, 2, 3, 4711), kNot(kFlag(`\Seen`)), kFlag("PROJECT-X"), kModseq(50))
	benchMatch(b, key, msg, nil, true)
}

// BenchmarkMatchHeader searches the stored header: a From address that is
// absent (the common case: every field of that name is decoded and folded)
// and an encoded-word Subject that matches.
func BenchmarkMatchHeader(b *testing.B) {
	msg := &Message{UID: 1, Meta: testMessage(b, "b1", raw1)}
	b.Run("miss", func(b *testing.B) {
		benchMatch(b, kOr(kHeader("from", "nobody@example"), kHeader("subject", "invoice")), msg, nil, false)
	})
	b.Run("encoded-hit", func(b *testing.B) {
		benchMatch(b, kHeader("subject", "münchen"), msg, nil, true)
	})
}

// BenchmarkMatchBody streams a body that does not contain the needle, so
// every byte is decoded, folded and searched.
func BenchmarkMatchBody(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog; Grüße aus München. ", 1600) // ~100 KiB
	cases := []struct {
		name, raw string
	}{
		{"plain", crlf("Subject: x\nContent-Type: text/plain; charset=utf-8\n\n") + text},
		{"base64", crlf("Subject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n") + b64(text)},
		{"latin1-qp", crlf("Subject: x\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n") +
			qpSoftBreaks(strings.NewReplacer("ü", "=FC", "ß", "=DF").Replace(text), 76)},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			meta := testMessage(b, "b", tc.raw)
			bodies := newMemBodies(map[*metadatapb.MessageMeta]string{meta: tc.raw})
			b.SetBytes(int64(len(text)))
			benchMatch(b, kBody("needle not present"), &Message{UID: 1, Meta: meta}, bodies, false)
		})
	}
}

// BenchmarkIndexBuild measures indexing one message of the bench corpus
// (decode, fold, trigrams, postings), with bodies in memory: the CPU cost
// the background indexer adds per delivered message.
func BenchmarkIndexBuild(b *testing.B) {
	msgs, bodies, raws := diffCorpus(b, 512)
	msgs, raws = msgs[len(msgs)-512:], raws[len(raws)-512:]
	var size int64
	for _, r := range raws {
		size += int64(len(r))
	}
	ctx := context.Background()
	sb := NewSegmentBuilder()
	b.SetBytes(size / int64(len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i%len(msgs) == 0 {
			sb.Reset()
		}
		if err := sb.Add(ctx, msgs[i%len(msgs)], bodies); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
