package message

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
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
	// The Dovecot differential's edge cases: malformed MIME of every kind.
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "dovediff", "*.eml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
		}
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

// FuzzParseAddressList checks that any field value parses without
// panicking into a well-formed ENVELOPE address list: every address has a
// mailbox and a host, except group markers, and groups open and close in
// pairs (RFC 9051 §7.5.2).
func FuzzParseAddressList(f *testing.F) {
	for _, s := range []string{`a@b.c`, `"A B" <a@b.c>, c@d.e`, `g: a@b.c, <d@e.f>;`, `,, ; broken <@>, <no-domain>`,
		`Pete(A nice \) chap) <pete(his account)@silly.test(his host)>`, `<@r1,@r2:u@h>`, `"unbalanced <a@b>`,
		`a . b @ c . d`, `a@[1.2.3`, `(unterminated`, `\`, `"\`, `<`, `:;`, `a@b (x`, `=?utf-8?q?a?= <a@b>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		inGroup := false
		for _, a := range parseAddressList(s) {
			switch {
			case a.host != nil:
				if a.mailbox == nil {
					t.Fatalf("%q: address without mailbox", s)
				}
			case a.mailbox != nil: // group start
				if inGroup || a.name != nil || a.adl != nil {
					t.Fatalf("%q: bad group start %+v", s, a)
				}
				inGroup = true
			default: // group end
				if !inGroup || a.name != nil || a.adl != nil {
					t.Fatalf("%q: bad group end", s)
				}
				inGroup = false
			}
		}
		if inGroup {
			t.Fatalf("%q: group left open", s)
		}
	})
}

// FuzzParseContentType checks that any Content-Type or
// Content-Disposition value parses without panicking, into lower-case
// tokens and lower-case parameter names.
func FuzzParseContentType(f *testing.F) {
	for _, s := range []string{`text/plain; charset=us-ascii`, `multipart/mixed; boundary="a b"`, `text`, `text/plain/x`,
		`a/b; x*0*=utf-8''%41; x*1=b; y*=z; y*2=q`, `a/b; =v; k=`, `a/b; n==?utf-8?q?x?= y`, `a/b; p; q=1`,
		`a/b; q="unterminated`, `a/b (c`, `attachment; filename*=utf-8''x`, `;;`, `*`, `a/b; *=1; **=2; a*9999999999=3`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mt := parseContentType(s)
		d, dps, _ := parseDisposition(s)
		for _, v := range []string{mt.typ, mt.sub, d} {
			if v != strings.ToLower(v) {
				t.Fatalf("%q: %q not lower-cased", s, v)
			}
			for i := 0; i < len(v); i++ {
				if !isTokenChar(v[i]) {
					t.Fatalf("%q: %q is no token", s, v)
				}
			}
		}
		for _, p := range append(mt.params, dps...) {
			if p.name != strings.ToLower(p.name) {
				t.Fatalf("%q: parameter name %q not lower-cased", s, p.name)
			}
		}
		if mt.typ == "" && (mt.sub != "" || len(mt.params) > 0) {
			t.Fatalf("%q: empty type with %q %v", s, mt.sub, mt.params)
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
