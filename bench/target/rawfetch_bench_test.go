package target

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// BenchmarkFetchEnvelope2000 compares the client CPU of one fetch-envelope
// operation — UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE) answered with
// 2000 messages — read by go-imap's imapclient and by RawConn. A canned
// server on loopback (no TLS) answers every FETCH with the same bytes, so
// both clients read identical input and the server's share of the CPU is
// the same in both. cpu-ns/op is the process's user+system CPU per
// operation (getrusage), which counts every core used, unlike ns/op.
func BenchmarkFetchEnvelope2000(b *testing.B) {
	body := envelopeResponse(2000, "")
	body = body[:bytes.LastIndex(body[:len(body)-2], []byte("\r\n"))+2] // without the completion
	addr := cannedServer(b, body, 2000)
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
		var set imap.UIDSet
		set.AddRange(1, 0)
		opts := &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, Envelope: true}
		measure(b, func() (int, error) {
			// As the go-imap FETCH workloads read (workload.drainFetch):
			// every item of every message decoded, nothing kept.
			cmd := c.Fetch(set, opts)
			n := 0
			for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
				n++
				for item := msg.Next(); item != nil; item = msg.Next() {
				}
			}
			return n, cmd.Close()
		}, c.BytesRead)
	})
	b.Run("lean", func(b *testing.B) {
		rc, err := tg.DialRaw(1, "INBOX")
		if err != nil {
			b.Fatal(err)
		}
		defer rc.Close()
		cmd := []byte("UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)")
		want := [][]byte{[]byte("UID"), []byte("FLAGS"), []byte("RFC822.SIZE"), []byte("ENVELOPE")}
		measure(b, func() (int, error) {
			n, err := rc.Fetch(cmd, want)
			return int(n), err
		}, rc.BytesRead)
	})
}

func measure(b *testing.B, op func() (int, error), bytesRead func() int64) {
	b.ReportAllocs()
	read0 := bytesRead()
	cpu0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		n, err := op()
		if err != nil || n != 2000 {
			b.Fatalf("fetched %d messages, %v", n, err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	b.SetBytes((bytesRead() - read0) / int64(b.N))
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cannedServer accepts connections on 127.0.0.1 and answers LOGIN and
// EXAMINE/SELECT with OK (EXISTS exists) and any FETCH or SEARCH with body
// and OK.
func cannedServer(b *testing.B, body []byte, exists int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveCanned(c, body, exists)
		}
	}()
	return ln.Addr().String()
}

func serveCanned(c net.Conn, body []byte, exists int) {
	defer c.Close()
	br := bufio.NewReader(c)
	bw := bufio.NewWriterSize(c, 64<<10)
	io.WriteString(bw, "* OK canned server ready\r\n")
	bw.Flush()
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		// Allocation-free, so that allocs/op are the client's alone.
		tag, rest, _ := bytes.Cut(line, []byte(" "))
		if len(rest) > 4 && bytes.EqualFold(rest[:4], []byte("UID ")) {
			rest = rest[4:]
		}
		verb, _, _ := bytes.Cut(bytes.TrimSpace(rest), []byte(" "))
		switch {
		case bytes.EqualFold(verb, []byte("FETCH")), bytes.EqualFold(verb, []byte("SEARCH")):
			bw.Write(body)
		case bytes.EqualFold(verb, []byte("EXAMINE")), bytes.EqualFold(verb, []byte("SELECT")):
			fmt.Fprintf(bw, "* %d EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n", exists)
		case bytes.EqualFold(verb, []byte("LOGOUT")):
			io.WriteString(bw, "* BYE bye\r\n")
		}
		bw.Write(tag)
		io.WriteString(bw, " OK done\r\n")
		if err := bw.Flush(); err != nil {
			return
		}
	}
}
