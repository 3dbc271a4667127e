package message

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// FuzzAnalyze checks that any input analyses without panicking, that the
// tree stays within the message, that the wire strings parse, and that
// every section of every part can be opened (or reports a sentinel).
func FuzzAnalyze(f *testing.F) {
	for _, m := range []string{msgSimple, msgAlternative, msgMixed, msgNested, msgEncodedWords, msgGroups,
		msgNoHeaders, msgBrokenBoundary, msgBareLF, msg8bitHeaders, msgBinary, "", "\n", "--\r\n", "A:\r\n b"} {
		f.Add([]byte(m))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Analyze(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatalf("Analyze: %v", err)
		}
		checkTree(t, m, int64(len(raw)))
		for _, w := range [][]byte{m.Envelope, m.BodyStructure, m.Body} {
			p := &sexpr{s: string(w)}
			if _, err := p.value(); err != nil || p.i != len(p.s) {
				t.Fatalf("unparseable wire string %q: %v", w, err)
			}
		}
		open := func(_ context.Context, off, n int64) (io.ReadCloser, error) {
			if off < 0 || n < 0 || off+n > int64(len(raw)) {
				t.Fatalf("read %d+%d outside %d", off, n, len(raw))
			}
			return io.NopCloser(bytes.NewReader(raw[off : off+n])), nil
		}
		for _, path := range sectionPaths(m.Part) {
			for _, spec := range []string{"", "MIME", "HEADER", "TEXT", "HEADER.FIELDS"} {
				s := &wire.Section{Part: path, Specifier: spec, Fields: []string{"Subject"}}
				size, rc, err := OpenSection(context.Background(), m, s, false, nil, open)
				if err != nil {
					if !errors.Is(err, ErrNoSuchPart) && !errors.Is(err, ErrInvalidSection) {
						t.Fatalf("%v %s: %v", path, spec, err)
					}
					continue
				}
				got, _ := io.ReadAll(rc)
				if int64(len(got)) != size {
					t.Fatalf("%v %s: size %d, read %d", path, spec, size, len(got))
				}
			}
			size, rc, err := OpenSection(context.Background(), m, &wire.Section{Part: path}, true, nil, open)
			if err == nil {
				got, rerr := io.ReadAll(rc)
				if rerr != nil || int64(len(got)) != size {
					t.Fatalf("BINARY %v: size %d, read %d (%v)", path, size, len(got), rerr)
				}
			} else if !errors.Is(err, ErrUnknownCTE) {
				t.Fatalf("BINARY %v: %v", path, err)
			}
		}
	})
}

// sectionPaths lists the part numbers of every part of a message as a
// client addresses them (RFC 9051 §6.4.5), the message itself first
// (bounded for speed).
func sectionPaths(root *metadatapb.MimePart) [][]int {
	out := [][]int{nil}
	var msg func(m *metadatapb.MimePart, prefix []int, depth int)
	var part func(p *metadatapb.MimePart, path []int, depth int)
	msg = func(m *metadatapb.MimePart, prefix []int, depth int) {
		kids := m.Children
		if !strings.HasPrefix(m.ContentType, "multipart/") {
			kids = []*metadatapb.MimePart{m} // part 1 is the body itself
		}
		for i, c := range kids {
			part(c, append(append([]int(nil), prefix...), i+1), depth)
		}
	}
	part = func(p *metadatapb.MimePart, path []int, depth int) {
		if depth > 8 || len(out) > 64 {
			return
		}
		out = append(out, path)
		switch {
		case strings.HasPrefix(p.ContentType, "multipart/"):
			for i, c := range p.Children {
				part(c, append(append([]int(nil), path...), i+1), depth+1)
			}
		case p.Message != nil:
			msg(p.Message, path, depth+1)
		}
	}
	msg(root, nil, 0)
	return out
}

// BenchmarkAnalyze measures Analyze on a ~20 KB multipart message: a text
// and an HTML alternative and a base64 attachment.
func BenchmarkAnalyze(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(crlf("From: \"Bench Mark\" <bench@example.com>\nTo: a@example.com, b@example.com\nSubject: =?utf-8?q?benchmark_=C3=A9?=\nDate: Mon, 7 Feb 1994 21:52:25 -0800\nMessage-ID: <bench@example.com>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"outer\"\n\n--outer\nContent-Type: multipart/alternative; boundary=\"inner\"\n\n--inner\nContent-Type: text/plain; charset=utf-8\n\n"))
	for sb.Len() < 6000 {
		sb.WriteString("The quick brown fox jumps over the lazy dog, again and again.\r\n")
	}
	sb.WriteString(crlf("--inner\nContent-Type: text/html; charset=utf-8\n\n<html><body>\n"))
	for sb.Len() < 12000 {
		sb.WriteString("<p>The quick brown fox jumps over the lazy dog.</p>\r\n")
	}
	sb.WriteString(crlf("</body></html>\n--inner--\n--outer\nContent-Type: application/pdf; name=\"x.pdf\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"x.pdf\"\n\n"))
	for sb.Len() < 20000 {
		sb.WriteString("JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZUR\r\n")
	}
	sb.WriteString("--outer--\r\n")
	raw := []byte(sb.String())
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Analyze(bytes.NewReader(raw), int64(len(raw))); err != nil {
			b.Fatal(err)
		}
	}
}
