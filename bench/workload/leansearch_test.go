package workload

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/target"
)

// TestSearchCommandMatchesGoIMAP sends every generated query, and queries
// exercising the rest of criteria's forms (UTF-8, quoted specials, ON,
// every flag, no criterion), through go-imap's imapclient to a recording
// server that announces IMAP4rev1 without LITERAL+, as Dovecot without
// LITERAL+ would: what go-imap writes after its tag must be exactly
// searchCommand's bytes, literals and all.
func TestSearchCommandMatchesGoIMAP(t *testing.T) {
	gen, err := corpus.NewGenerator(corpus.Config{Seed: 99, Messages: 50})
	if err != nil {
		t.Fatal(err)
	}
	var qs []corpus.Query
	for _, kind := range []corpus.QueryKind{corpus.HeaderQuery, corpus.BodyQuery, corpus.FlagQuery} {
		qs = append(qs, gen.Queries(kind, 50)...)
	}
	yes, no := true, false
	day := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	qs = append(qs,
		corpus.Query{Field: "FROM", Value: "Jos\xc3\xa9"},
		corpus.Query{Field: "SUBJECT", Value: `say "hi" to C:\dir`},
		corpus.Query{Field: "TO", Value: ""},
		corpus.Query{Field: "TEXT", Value: "r\xc3\xa9union", Seen: &yes, Flagged: &no, Since: day},
		corpus.Query{Field: "BODY", Value: "a\r\nb"},
		corpus.Query{Seen: &yes, Flagged: &yes, Since: day, Before: day.AddDate(0, 0, 1)},
		corpus.Query{Seen: &no, Flagged: &no, Since: day, Before: day.AddDate(0, 0, 2)},
		corpus.Query{Before: day},
		corpus.Query{},
	)
	client, server := net.Pipe()
	defer client.Close()
	got := make(chan []byte)
	go recordCommands(server, got)
	c := imapclient.New(client, nil)
	defer c.Close()
	for _, q := range qs {
		want, err := searchCommand(q)
		if err != nil {
			t.Fatalf("searchCommand(%s): %v", q, err)
		}
		cmd := c.UIDSearch(criteria(q), nil)
		line := <-got
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("go-imap SEARCH %s: %v", q, err)
		}
		_, sent, _ := bytes.Cut(line, []byte(" "))
		if !bytes.Equal(sent, want) {
			t.Errorf("query %s:\ngo-imap sends %q\nlean sends    %q", q, sent, want)
		}
	}
}

// recordCommands serves one go-imap client: it greets with IMAP4rev1
// only, answers a synchronizing literal's header with "+", and each
// command with one hit and OK, after passing the command (tag included,
// final CRLF not) on got.
func recordCommands(conn net.Conn, got chan<- []byte) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	io.WriteString(conn, "* OK [CAPABILITY IMAP4rev1] recorder\r\n")
	for {
		var cmd []byte
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				return
			}
			cmd = append(cmd, line...)
			body := bytes.TrimSuffix(line, []byte("\r\n"))
			i := bytes.LastIndexByte(body, '{')
			if i < 0 || !bytes.HasSuffix(body, []byte("}")) {
				break
			}
			n, err := strconv.Atoi(string(body[i+1 : len(body)-1]))
			if err != nil {
				break
			}
			io.WriteString(conn, "+ go ahead\r\n")
			lit := make([]byte, n)
			if _, err := io.ReadFull(br, lit); err != nil {
				return
			}
			cmd = append(cmd, lit...)
		}
		cmd = bytes.TrimSuffix(cmd, []byte("\r\n"))
		tag, _, _ := bytes.Cut(cmd, []byte(" "))
		got <- cmd
		fmt.Fprintf(conn, "* SEARCH 1\r\n%s OK done\r\n", tag)
	}
}

func TestSearchCommandRefusesNUL(t *testing.T) {
	if _, err := searchCommand(corpus.Query{Field: "BODY", Value: "a\x00b"}); !errors.Is(err, ErrWorkload) || !errors.Is(err, target.ErrTarget) {
		t.Fatalf("searchCommand with NUL: %v, want ErrWorkload wrapping target.ErrTarget", err)
	}
}

// checkLeanSearchMatchesGoIMAP sends every query of every search kind
// through both clients, on connections opened by checkLeanMatchesGoIMAP
// to a server loaded with msgs generated messages: both must count the
// hits the corpus expects, write the same command and read the same
// answer (up to the tags' lengths). Then each search workload runs
// through Run with each client, hit counts checked.
func checkLeanSearchMatchesGoIMAP(ctx context.Context, t *testing.T, tg *target.Target, gen *corpus.Generator, s *session, rc *target.RawConn, msgs int) {
	for _, kind := range []corpus.QueryKind{corpus.HeaderQuery, corpus.BodyQuery, corpus.FlagQuery} {
		for _, q := range gen.Queries(kind, msgs) {
			t.Run("search/"+q.Name, func(t *testing.T) {
				want := gen.Expect(q, msgs)
				read0, written0 := s.c.BytesRead(), s.c.BytesWritten()
				res, err := search(s, query{q, want})
				if err != nil {
					t.Fatal(err)
				}
				goRead, goWritten := s.c.BytesRead()-read0, s.c.BytesWritten()-written0
				cmd, err := searchCommand(q)
				if err != nil {
					t.Fatal(err)
				}
				read0, written0 = rc.BytesRead(), rc.BytesWritten()
				hits, err := rc.Search(cmd)
				if err != nil {
					t.Fatal(err)
				}
				leanRead, leanWritten := rc.BytesRead()-read0, rc.BytesWritten()-written0
				if hits != res.msgs || hits != int64(want) {
					t.Errorf("%s: lean %d hits, go-imap %d, corpus %d", q, hits, res.msgs, want)
				}
				if d := leanRead - goRead; d < -8 || d > 8 {
					t.Errorf("answer bytes: lean %d, go-imap %d", leanRead, goRead)
				}
				if d := leanWritten - goWritten; d < -8 || d > 8 {
					t.Errorf("command bytes: lean %d, go-imap %d", leanWritten, goWritten)
				}
			})
		}
	}
	t.Run("search/failures", func(t *testing.T) {
		// A wrong expectation is a mismatch; a refused command an error
		// that counts no hits, and the connection stays usable.
		q := gen.Queries(corpus.FlagQuery, msgs)[0]
		cmd, err := searchCommand(q)
		if err != nil {
			t.Fatal(err)
		}
		want := gen.Expect(q, msgs)
		w := &leanSearchWorker{c: rc, queries: []leanQuery{
			{query{q, want + 1}, cmd},
			{query{corpus.Query{Name: "bad"}, -1}, []byte("UID SEARCH NOSUCHKEY 1")},
			{query{q, want}, cmd},
		}}
		res, err := w.op(nil)
		if !errors.Is(err, ErrWorkload) || !res.mismatch || res.msgs != int64(want) {
			t.Errorf("wrong expectation: %+v, %v; want a mismatch with %d hits", res, err, want)
		}
		res, err = w.op(nil)
		if !errors.Is(err, target.ErrRefused) || res.mismatch || res.msgs != 0 || res.bytes == 0 {
			t.Errorf("refused search: %+v, %v; want ErrRefused, no hits", res, err)
		}
		if res, err = w.op(nil); err != nil || res.msgs != int64(want) {
			t.Errorf("search after a refusal: %+v, %v", res, err)
		}
	})
	for _, name := range []string{"search-header", "search-body", "search-flags"} {
		for _, cl := range []Client{ClientLean, ClientGoIMAP} {
			t.Run(fmt.Sprintf("Run/%s/%s", name, cl), func(t *testing.T) {
				o := &Options{Users: 1, Concurrency: 2, Duration: 300 * time.Millisecond, MaxOps: 40,
					Corpus: gen, Messages: msgs, CheckHits: true, Seed: 3, Client: cl}
				res, err := Run(ctx, tg, name, o)
				if err != nil {
					t.Fatal(err)
				}
				if res.Errors != 0 || res.Mismatches != 0 || res.Ops == 0 {
					t.Fatalf("%d ops, %d errors (%d wrong hit counts), first: %s", res.Ops, res.Errors, res.Mismatches, res.FirstError)
				}
				if res.Messages == 0 || res.Bytes == 0 {
					t.Errorf("%d hits, %d bytes in %d ops", res.Messages, res.Bytes, res.Ops)
				}
			})
		}
	}
}
