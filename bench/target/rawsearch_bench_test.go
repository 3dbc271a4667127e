package target

import (
	"bytes"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// searchHits is the size of the benchmarked answer: an UNSEEN search of a
// 100k-message mailbox of which a fifth is unseen.
const searchHits = 20_000

// BenchmarkReadSearch compares the client's cost of one UID SEARCH
// answered with 20,000 UIDs (every third UID, so no two are adjacent) read
// by go-imap's imapclient (as the goimap SEARCH workloads read it, into a
// UIDSet counted with AllUIDs) and by RawConn.Search, both against a
// canned server on loopback (no TLS) that answers every SEARCH with the
// same bytes; "lexer" is RawConn's reader alone on an in-memory answer.
// ns/uid is wall time per UID, cpu-ns/uid the process's user+system CPU
// per UID (getrusage), which counts every core used.
func BenchmarkReadSearch(b *testing.B) {
	line := []byte(searchLine(searchHits, 3))
	addr := cannedServer(b, line, 100_000)
	tg := Target{Addr: addr, TLS: TLSNone, UserPattern: "u%d", PassPattern: "p", Timeout: time.Minute}
	if err := tg.Validate(); err != nil {
		b.Fatal(err)
	}
	b.Run("goimap", func(b *testing.B) {
		c, err := tg.DialLogin(1)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		criteria := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}
		measureSearch(b, func() (int64, error) {
			data, err := c.UIDSearch(criteria, nil).Wait()
			if err != nil {
				return 0, err
			}
			return int64(len(data.AllUIDs())), nil
		})
	})
	b.Run("lean", func(b *testing.B) {
		rc, err := tg.DialRaw(1, "INBOX")
		if err != nil {
			b.Fatal(err)
		}
		defer rc.Close()
		cmd := []byte("UID SEARCH UNSEEN")
		measureSearch(b, func() (int64, error) { return rc.Search(cmd) })
	})
	b.Run("lexer", func(b *testing.B) {
		stream := append(append([]byte(nil), line...), "R1 OK done\r\n"...)
		rd := bytes.NewReader(stream)
		l := newLexer(rd)
		tag := []byte("R1")
		measureSearch(b, func() (int64, error) {
			rd.Reset(stream)
			l.reset(rd)
			return l.readSearch(tag)
		})
	})
}

func measureSearch(b *testing.B, op func() (int64, error)) {
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		n, err := op()
		if err != nil || n != searchHits {
			b.Fatalf("%d hits, %v", n, err)
		}
	}
	b.StopTimer()
	uids := float64(b.N) * searchHits
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/uids, "ns/uid")
	b.ReportMetric(float64(processCPU()-cpu0)/uids, "cpu-ns/uid")
}
