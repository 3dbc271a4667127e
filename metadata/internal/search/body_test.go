package search

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// matchOne compiles key and matches it against one message built from raw.
func matchOne(t *testing.T, raw string, key *metadatapb.SearchKey, chunk int) (bool, *memBodies) {
	t.Helper()
	meta := testMessage(t, "b", raw)
	bodies := newMemBodies(map[*metadatapb.MessageMeta]string{meta: raw})
	bodies.chunk = chunk
	m, err := Compile(key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ok, err := m.Match(context.Background(), &Message{UID: 1, Meta: meta}, bodies)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	if n := bodies.unclosed(); n != 0 {
		t.Fatalf("%d body readers left open", n)
	}
	return ok, bodies
}

func TestStreamContainsBoundaries(t *testing.T) {
	needles := []string{"x", "needle", "Grüße ☃ \u212a", "ab"}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
		"chunk7":  func(r io.Reader) io.Reader { return &chunkReader{r: r, n: 7} },
	}
	for _, needle := range needles {
		folded := foldString(needle)
		// Place the needle (in upper case, so folding matters) so that it
		// straddles the first read-buffer boundary at every split point.
		for shift := -len(needle) - 2; shift <= 2; shift++ {
			pos := readBufSize + shift
			hay := strings.Repeat("é.", pos/3) + strings.Repeat(".", pos-(pos/3)*3) + strings.ToUpper(needle) + strings.Repeat("-", 100)
			for name, wrap := range readers {
				if name == "onebyte" && shift != -2 {
					continue // every split is already a boundary; once is enough
				}
				found, err := streamContains(context.Background(), wrap(strings.NewReader(hay)), folded)
				if err != nil || !found {
					t.Fatalf("needle %q at %d, %s reader: found=%v err=%v", needle, pos, name, found, err)
				}
			}
		}
		// A prefix of the needle across the boundary must not match.
		if len(needle) > 1 {
			hay := strings.Repeat(".", readBufSize-1) + needle[:len(needle)-1] + "#" + strings.Repeat(".", 50)
			found, err := streamContains(context.Background(), strings.NewReader(hay), folded)
			if err != nil || found {
				t.Fatalf("prefix of %q: found=%v err=%v", needle, found, err)
			}
		}
	}
}

func TestStreamContainsErrors(t *testing.T) {
	boom := errors.New("boom")
	found, err := streamContains(context.Background(), &failingReader{data: []byte("abc"), err: boom}, []byte("ZZZ"))
	if found || !errors.Is(err, boom) {
		t.Fatalf("got %v, %v; want the reader's error", found, err)
	}
	// A match before the error still counts.
	found, err = streamContains(context.Background(), &failingReader{data: []byte("abc"), err: boom}, []byte("BC"))
	if !found || err != nil {
		t.Fatalf("got %v, %v; want a match", found, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := streamContains(ctx, strings.NewReader("abc"), []byte("B")); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: %v", err)
	}
}

// bigBody is a text body of more than two read buffers with marker at
// offset at.
func bigBody(at int, marker string) string {
	return strings.Repeat("lorem ipsum ", at/12) + strings.Repeat("x", at%12) + marker + strings.Repeat(" dolor sit", 8000)
}

func TestBodyEncodedBoundaries(t *testing.T) {
	for _, at := range []int{readBufSize - 3, readBufSize - 1, readBufSize, 2*readBufSize - 5, 3*readBufSize + 1} {
		plain := bigBody(at, "Zürich-Marker")
		cases := map[string]string{
			"base64": crlf("Subject: big\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n") + b64(plain),
			"qp": crlf("Subject: big\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n") +
				qpSoftBreaks(strings.ReplaceAll(plain, "ü", "=C3=BC"), 70),
			"latin1": crlf("Subject: big\nContent-Type: text/plain; charset=iso-8859-1\n\n") + strings.ReplaceAll(plain, "ü", "\xfc"),
		}
		for name, raw := range cases {
			for _, chunk := range []int{0, 5} {
				ok, _ := matchOne(t, raw, kBody("zÜRICH-MARKER"), chunk)
				if !ok {
					t.Errorf("%s at %d chunk %d: no match", name, at, chunk)
				}
				ok, _ = matchOne(t, raw, kBody("Zürich-Markers"), chunk)
				if ok {
					t.Errorf("%s at %d chunk %d: false match", name, at, chunk)
				}
			}
		}
	}
}

// qpSoftBreaks folds s into quoted-printable lines of at most n characters
// with soft line breaks, never splitting an =XX escape.
func qpSoftBreaks(s string, n int) string {
	var b strings.Builder
	col := 0
	for i := 0; i < len(s); {
		w := 1
		if s[i] == '=' {
			w = 3
		}
		if col+w > n {
			b.WriteString("=\r\n")
			col = 0
		}
		b.WriteString(s[i : i+w])
		col += w
		i += w
	}
	b.WriteString("\r\n")
	return b.String()
}

func TestCharsets(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		needle string
		want   bool
	}{
		{"windows-1252 quotes", "Content-Type: text/plain; charset=windows-1252\n\n\x93quoted\x94 text\n", "“QUOTED”", true},
		{"iso-8859-15 euro", "Content-Type: text/plain; charset=ISO-8859-15\n\nprice 5\xa4\n", "5€", true},
		{"koi8-r", "Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n", "привет", true},
		{"utf-8 8bit", "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\nΚαλημέρα κόσμε\n", "ΚΌΣΜΕ", true},
		{"unknown charset searched raw", "Content-Type: text/plain; charset=x-no-such\n\nplain ascii words\n", "ASCII", true},
		{"invalid utf-8 bytes", "Content-Type: text/plain\n\nab\xff\xfecd\n", "cd", true},
		{"qp lower-case hex", "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: Quoted-Printable\n\nna=efve\n", "naïve", true},
		{"base64 stray characters skipped", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8g!!!d2 9ybGQ=\n", "hello world", true},
		{"bad base64 stops quietly", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8g=d29ybGQ=\n", "hello", true},
		{"bad base64 rest unsearched", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8g=d29ybGQ=\n", "world", false},
		{"base64 garbage", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n====\n", "x", false},
		{"html searched with markup", "Content-Type: text/html\n\n<b>bold</b> words\n", "<B>BOLD", true},
		{"image not searched", "Content-Type: image/png\n\nnot text\n", "not text", false},
		{"default content type", "X-No-Type: 1\n\nimplicit text\n", "implicit", true},
		{"rfc822 without inner tree", "Content-Type: message/rfc822\n\n", "x", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, _ := matchOne(t, crlf(tc.raw), kBody(tc.needle), 0)
			if ok != tc.want {
				t.Errorf("BODY %q = %v, want %v", tc.needle, ok, tc.want)
			}
		})
	}
}

func TestHeaderDecoding(t *testing.T) {
	tests := []struct {
		name         string
		header       string
		field, value string
		want         bool
	}{
		{"q with underscores", "Subject: =?iso-8859-15?q?caf=E9_au_lait_=A4?=\n", "subject", "café au lait €", true},
		{"adjacent encoded words", "Subject: =?utf-8?q?Gr=C3=BC?= =?utf-8?q?=C3=9Fe?=\n", "subject", "grüße", true},
		{"mixed encoded and plain", "Subject: Re: =?utf-8?b?0J/RgNC40LLQtdGC?= again\n", "subject", "re: привет again", true},
		{"unknown charset kept raw", "Subject: =?x-bogus?q?abc?=\n", "subject", "=?x-bogus?q?abc?=", true},
		{"raw utf-8 header", "Subject: déjà vu\n", "subject", "DÉJÀ", true},
		{"lf only line ends", "Subject: lf\n folded\n", "subject", "lf folded", true},
		{"tab folding", "Subject: tab\n\tfolded\n", "subject", "tab\tfolded", true},
		{"space before colon", "Subject : spaced\n", "subject", "spaced", true},
		{"field name prefix is not the field", "Subject-X: no\n", "subject", "", false},
		{"encoded address name", "From: =?utf-8?q?J=C3=B6rg?= <j@example.com>\n", "from", "jörg <j@", true},
		{"encoded name in quotes", "From: \"=?utf-8?q?J=C3=B6rg?=\" <j@example.com>\n", "from", "jörg", true},
		{"escaped quote in name", "To: \"A \\\"B\\\" C\" <abc@example.com>\n", "to", `A "B" C <abc`, true},
		{"unquote only for address fields", "Subject: \"quoted\" word\n", "subject", "quoted word", false},
		{"continuation after junk not attached", "Subject: one\nnot a field\n two\n", "subject", "one two", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := tc.header
			if !strings.HasSuffix(raw, "\n\n") {
				raw += "\nbody\n"
			}
			raw = strings.ReplaceAll(raw, "\r\n", "\n")
			if tc.name != "lf only line ends" {
				raw = crlf(raw)
			}
			meta := &metadatapb.MessageMeta{Header: []byte(raw), BlobId: "b"}
			m, err := Compile(kHeader(tc.field, tc.value), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ok, err := m.Match(context.Background(), &Message{UID: 1, Meta: meta}, nil)
			if err != nil || ok != tc.want {
				t.Errorf("HEADER %s %q = %v, %v; want %v", tc.field, tc.value, ok, err, tc.want)
			}
		})
	}
}

func TestShortCircuit(t *testing.T) {
	c := newCorpus(t)
	seen, flagged := c.msgs[0], c.msgs[1] // uid 1 is \Seen, uid 2 \Flagged
	tests := []struct {
		name string
		key  *metadatapb.SearchKey
		msg  *Message
		want bool
	}{
		{"and decided by flag", kAnd(kBody("hello"), kFlag(`\Flagged`)), seen, false},
		{"and decided by header", kAnd(kBody("hello"), kText("x"), kHeader("from", "nobody")), seen, false},
		{"and decided by date", kAnd(kBody("hello"), kInternal(before, 2000, 1, 1)), seen, false},
		{"or decided by flag", kOr(kBody("nothing"), kFlag(`\seen`)), seen, true},
		{"or decided by size", kOr(kBody("nothing"), kLarger(1)), flagged, true},
		{"not or", kNot(kOr(kText("x"), kUIDs(1))), seen, false},
		{"nested", kOr(kAnd(kBody("a"), kFlag("nope")), kAnd(kBody("b"), kModseq(1000)), kUIDs(1)), seen, true},
		{"text decided by header", kText("Doe, John"), seen, true},
		{"empty body needle", kBody(""), flagged, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Compile(tc.key, c.now)
			if err != nil {
				t.Fatal(err)
			}
			bodies := &memBodies{forbid: true}
			ok, err := m.Match(context.Background(), tc.msg, bodies)
			if err != nil || ok != tc.want {
				t.Fatalf("Match = %v, %v; want %v", ok, err, tc.want)
			}
			if n := bodies.openCount(); n != 0 {
				t.Errorf("%d body reads, want none", n)
			}
		})
	}
}

func TestBodyReadsStopAtFirstMatch(t *testing.T) {
	c := newCorpus(t)
	tests := []struct {
		needle string
		want   bool
		opens  int
	}{
		{"crème", true, 1},          // first text part
		{"needle-in-html", true, 2}, // second; the PDF is never opened
		{"secretword", false, 2},    // both text parts, not the PDF
	}
	for _, tc := range tests {
		m, err := Compile(kBody(tc.needle), c.now)
		if err != nil {
			t.Fatal(err)
		}
		bodies := newMemBodies(map[*metadatapb.MessageMeta]string{c.msgs[1].Meta: raw2})
		ok, err := m.Match(context.Background(), c.msgs[1], bodies)
		if n := bodies.unclosed(); n != 0 {
			t.Errorf("BODY %q: %d body readers left open", tc.needle, n)
		}
		if err != nil || ok != tc.want || bodies.openCount() != tc.opens {
			t.Errorf("BODY %q = %v, %v with %d opens; want %v with %d", tc.needle, ok, err, bodies.openCount(), tc.want, tc.opens)
		}
	}
}

// errBodies serves every body as a reader that fails after some bytes.
type errBodies struct{ err error }

func (b errBodies) Open(context.Context, string, int64, int64) (io.ReadCloser, error) {
	return io.NopCloser(&failingReader{data: []byte("some text "), err: b.err}), nil
}

func TestMatchErrors(t *testing.T) {
	c := newCorpus(t)
	ctx := context.Background()
	mustCompile := func(k *metadatapb.SearchKey) *Matcher {
		m, err := Compile(k, c.now)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	body := mustCompile(kBody("giraffe"))
	boom := errors.New("disk on fire")

	if _, err := body.Match(ctx, c.msgs[2], &memBodies{blobs: map[string]string{}}); !errors.Is(err, base.ErrNoSuchBlob) {
		t.Errorf("missing blob: %v", err)
	}
	if _, err := body.Match(ctx, c.msgs[2], &memBodies{err: boom}); !errors.Is(err, boom) {
		t.Errorf("open error: %v", err)
	}
	if _, err := body.Match(ctx, c.msgs[2], errBodies{err: boom}); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	// The error of a read below a base64 decoder is not taken for bad data.
	if _, err := mustCompile(kBody("needle-in-html")).Match(ctx, c.msgs[1], errBodies{err: boom}); !errors.Is(err, boom) {
		t.Errorf("read error under decoders: %v", err)
	}
	if _, err := body.Match(ctx, c.msgs[2], nil); !errors.Is(err, base.ErrInvalidArgument) {
		t.Errorf("nil body source: %v", err)
	}
	if _, err := mustCompile(kHeader("from", "x")).Match(ctx, &Message{UID: 9}, nil); !errors.Is(err, base.ErrInvalidArgument) {
		t.Errorf("missing meta: %v", err)
	}
	if _, err := body.Match(ctx, nil, nil); !errors.Is(err, base.ErrInvalidArgument) {
		t.Errorf("nil message: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := body.Match(canceled, c.msgs[2], c.bodies); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	// State-only keys need neither meta nor bodies.
	ok, err := mustCompile(kAnd(kUIDs(9), kFlag("x"))).Match(ctx, &Message{UID: 9, Flags: []string{"X"}}, nil)
	if !ok || err != nil {
		t.Errorf("state-only without meta: %v, %v", ok, err)
	}
}

func TestCorruptPartOffsets(t *testing.T) {
	raw := crlf("Content-Type: text/plain\n\nshort needle body\n")
	at := uint64(strings.Index(raw, "needle"))
	tests := []struct {
		name    string
		part    *metadatapb.MimePart
		wantErr bool
		want    bool
	}{
		{"control", &metadatapb.MimePart{ContentType: "text/plain", BodyOffset: at, BodyLength: 6}, false, true},
		{"deep tree within limit", deepPart(maxPartDepth, at), false, true},
		{"offset beyond int64", &metadatapb.MimePart{ContentType: "text/plain", BodyOffset: 1 << 63, BodyLength: 10}, false, false},
		{"length beyond int64 reads to the end", &metadatapb.MimePart{ContentType: "text/plain", BodyOffset: at, BodyLength: 1<<64 - 1}, false, true},
		{"offset beyond blob", &metadatapb.MimePart{ContentType: "text/plain", BodyOffset: 5000, BodyLength: 10}, true, false},
		{"zero length", &metadatapb.MimePart{ContentType: "text/plain", BodyOffset: at}, false, false},
		{"deep tree beyond limit", deepPart(maxPartDepth+1, at), false, false},
	}
	m, err := Compile(kBody("needle"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			meta := &metadatapb.MessageMeta{BlobId: "b", Header: []byte(raw[:28]), Part: tc.part}
			bodies := newMemBodies(map[*metadatapb.MessageMeta]string{meta: raw})
			ok, err := m.Match(context.Background(), &Message{UID: 1, Meta: meta}, bodies)
			if ok != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("Match = %v, %v; want %v, error %v", ok, err, tc.want, tc.wantErr)
			}
		})
	}
}

// deepPart is a text part at offset at (6 bytes) under n multiparts: its
// depth is n.
func deepPart(n int, at uint64) *metadatapb.MimePart {
	p := &metadatapb.MimePart{ContentType: "text/plain", BodyOffset: at, BodyLength: 6}
	for i := 0; i < n; i++ {
		p = &metadatapb.MimePart{ContentType: "multipart/mixed", Children: []*metadatapb.MimePart{p}}
	}
	return p
}

// TestSearchableParts: which leaves BODY reads, as Dovecot decides (the
// frontend's Dovecot differential checks the same on real messages).
func TestSearchableParts(t *testing.T) {
	for _, tc := range []struct {
		ct, cte string
		want    bool
	}{
		{"", "", true},
		{"text/plain", "", true},
		{"text/html", "quoted-printable", true},
		{"text/plain", "BASE64", true},
		{"message/delivery-status", "7bit", true},
		{"message/rfc822x", "", true},
		{"text/", "", false},
		{"text", "", false},
		{"/", "", false},
		{"garbage/", "", false},
		{"application/pdf", "base64", false},
		{"image/png", "", false},
		{"text/plain", "x-uuencode", false},
		{"text/plain", "base64 junk", false},
		{"text/plain", "7bit junk", false},
	} {
		if got := searchable(tc.ct, tc.cte); got != tc.want {
			t.Errorf("searchable(%q, %q) = %v, want %v", tc.ct, tc.cte, got, tc.want)
		}
	}
	// Through Match: a message/* leaf is searched, a part under an
	// unknown encoding is not.
	status := crlf("Subject: s\nContent-Type: multipart/report; boundary=r\n\n--r\nContent-Type: message/delivery-status\n\nAction: failed\n--r\nContent-Type: text/plain\nContent-Transfer-Encoding: x-unknown\n\nhidden words\n--r--\n")
	if ok, _ := matchOne(t, status, kBody("action: FAILED"), 0); !ok {
		t.Errorf("message/delivery-status text not found")
	}
	if ok, _ := matchOne(t, status, kBody("hidden words"), 0); ok {
		t.Errorf("a part under an unknown encoding was searched")
	}
}
