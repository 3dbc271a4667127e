package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
)

func newGen(t *testing.T, seed uint64, n int) *Generator {
	t.Helper()
	g, err := NewGenerator(Config{Seed: seed, Messages: n, MaxAttachment: 512 << 10, LargeRate: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDeterministic(t *testing.T) {
	a, b := newGen(t, 42, 60), newGen(t, 42, 60)
	other := newGen(t, 43, 60)
	differ := 0
	for i := 0; i < 60; i++ {
		ma, err := a.Message(1, i)
		if err != nil {
			t.Fatal(err)
		}
		mb, _ := b.Message(1, i)
		if !bytes.Equal(ma.Raw, mb.Raw) || !ma.Date.Equal(mb.Date) || fmt.Sprint(ma.Flags) != fmt.Sprint(mb.Flags) {
			t.Fatalf("message %d differs between two generators with one seed", i)
		}
		mo, _ := other.Message(1, i)
		if !bytes.Equal(ma.Raw, mo.Raw) {
			differ++
		}
		// Another user gets the same mail but for the Delivered-To line.
		mu, _ := a.Message(2, i)
		if bytes.Equal(ma.Raw, mu.Raw) {
			t.Fatalf("message %d identical for users 1 and 2 (servers would deduplicate)", i)
		}
		if strings.Replace(string(mu.Raw), "bench-user-2@", "bench-user-1@", 1) != string(ma.Raw) {
			t.Fatalf("message %d differs between users beyond Delivered-To", i)
		}
	}
	if a.ID() != b.ID() || a.ID() == other.ID() {
		t.Errorf("IDs %s %s %s: want equal for one config, different across seeds", a.ID(), b.ID(), other.ID())
	}
	if differ != 60 {
		t.Fatalf("only %d/60 messages differ with another seed", differ)
	}
}

// TestGolden pins the generator's output. If it fails after an intended
// change to the generator, bump Version (so stale load markers stop
// matching) and update the digest. A Go release that changed the output of
// math/rand/v2's PCG streams or of the mime encoders would show here too.
func TestGolden(t *testing.T) {
	g := newGen(t, 2026, 50)
	h := sha256.New()
	for i := 0; i < g.Len(); i++ {
		msg, _ := g.Message(1, i)
		h.Write(msg.Raw)
		fmt.Fprintln(h, msg.Date.Unix(), msg.Flags)
	}
	const want = "eec6ef6f9f7a63c7dcd2d068a3475dd64d63bc56746f3f47dd23e52732577cd3"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("corpus digest %s, want %s (Version %d)", got, want, Version)
	}
}

var tokenRE = regexp.MustCompile(`zq[a-z][0-9]{2}x`)

// decoded is what a server searches: decoded header fields and text.
type decoded struct {
	from, to, subject string
	text              string
	parts             int
	attachments       int
}

func decode(t *testing.T, raw []byte) decoded {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("go-message cannot read the message: %v\n%s", err, head(raw))
	}
	var d decoded
	h := mr.Header
	if d.subject, err = h.Subject(); err != nil {
		t.Fatalf("Subject: %v", err)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 {
		t.Fatalf("From: %v %v", from, err)
	}
	d.from = from[0].Name + " " + from[0].Address
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 {
		t.Fatalf("To: %v %v", to, err)
	}
	d.to = to[0].Name + " " + to[0].Address
	if _, err := h.Date(); err != nil {
		t.Fatalf("Date: %v", err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part: %v\n%s", err, head(raw))
		}
		d.parts++
		body, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatalf("reading part: %v", err)
		}
		switch ph := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := ph.ContentType()
			if !strings.HasPrefix(ct, "text/") {
				t.Fatalf("inline part of type %s", ct)
			}
			d.text += string(body) + "\n"
		case *mail.AttachmentHeader:
			d.attachments++
			if name, err := ph.Filename(); err != nil || name == "" {
				t.Fatalf("attachment without a readable file name: %q %v", name, err)
			}
		}
	}
	return d
}

func head(raw []byte) string { return string(raw[:min(len(raw), 2000)]) }

func TestMessagesParseAndCarryTheirTokens(t *testing.T) {
	g := newGen(t, 7, 200)
	kinds := map[Kind]int{}
	langs := map[int]int{}
	var sizes []int
	for i := 0; i < g.Len(); i++ {
		msg, err := g.Message(0, i)
		if err != nil {
			t.Fatal(err)
		}
		m := g.Meta(i)
		kinds[m.Kind]++
		langs[m.Lang]++
		sizes = append(sizes, len(msg.Raw))
		if bytes.Contains(bytes.ReplaceAll(msg.Raw, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("message %d has a bare LF", i)
		}
		// Entity-level check: go-message parses every header and part.
		if _, err := message.Read(bytes.NewReader(msg.Raw)); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		d := decode(t, msg.Raw)
		check := func(where, got, want string) {
			t.Helper()
			if found := tokenRE.FindAllString(got, -1); len(found) != 1 || found[0] != want {
				t.Fatalf("message %d: %s has tokens %v, want exactly [%s]\n%s", i, where, found, want, got)
			}
		}
		check("From", d.from, FromToken(m.Sender))
		check("To", d.to, ToToken(m.Recipient))
		check("Subject", d.subject, SubjectToken(m.Subject))
		for _, tok := range tokenRE.FindAllString(d.text, -1) {
			if tok != BodyToken(m.Body) {
				t.Fatalf("message %d: body has foreign token %s", i, tok)
			}
		}
		if !strings.Contains(d.text, BodyToken(m.Body)) {
			t.Fatalf("message %d: decoded text lacks %s", i, BodyToken(m.Body))
		}
		if m.Kind == Mixed && d.attachments == 0 {
			t.Fatalf("message %d: multipart/mixed without attachment", i)
		}
		if m.Parent >= 0 && !bytes.Contains(msg.Raw, []byte("In-Reply-To: "+g.messageID(m.Parent))) {
			t.Fatalf("message %d: no In-Reply-To its parent", i)
		}
		if m.List != bytes.Contains(msg.Raw, []byte("\r\nList-Id: ")) {
			t.Fatalf("message %d: List-Id presence %v", i, !m.List)
		}
		if m.Date.Hour() < 11 || m.Date.Hour() > 12 {
			t.Fatalf("message %d dated %v, outside 11:00-13:00", i, m.Date)
		}
	}
	for _, k := range []Kind{Plain, Alternative, Mixed} {
		if kinds[k] == 0 {
			t.Errorf("no message of kind %d in 200", k)
		}
	}
	if len(langs) < 5 {
		t.Errorf("only %d languages in 200 messages", len(langs))
	}
	small, big := 0, 0
	for _, s := range sizes {
		if s < 30_000 {
			small++
		}
		if s > 300_000 {
			big++
		}
	}
	if small < 100 || big == 0 {
		t.Errorf("size distribution: %d under 30 KB, %d over 300 KB; want most small and a tail", small, big)
	}
	encoded := 0
	for i := 0; i < g.Len(); i++ {
		msg, _ := g.Message(0, i)
		if bytes.Contains(msg.Raw, []byte("=?utf-8?")) {
			encoded++
		}
	}
	if encoded == 0 {
		t.Error("no RFC 2047 encoded header in 200 messages")
	}
}

// TestFixedLargeAttachments: LargeMin = MaxAttachment and LargeRate 1 give
// every multipart/mixed message an attachment of exactly that size.
func TestFixedLargeAttachments(t *testing.T) {
	const size = 300 << 10
	g, err := NewGenerator(Config{Seed: 4, Messages: 40, MaxAttachment: size, LargeMin: size, LargeRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	mixed := 0
	for i := 0; i < g.Len(); i++ {
		if g.Meta(i).Kind != Mixed {
			continue
		}
		mixed++
		msg, _ := g.Message(0, i)
		// base64 of 300 KiB: 4/3 of it plus line breaks, for each attachment.
		if len(msg.Raw) < size*4/3 {
			t.Fatalf("mixed message %d is %d bytes, want an attachment of %d", i, len(msg.Raw), size)
		}
	}
	if mixed == 0 {
		t.Fatal("no multipart/mixed message in 40")
	}
}

func TestExpectCountsMatchMeta(t *testing.T) {
	g := newGen(t, 3, 500)
	for _, kind := range []QueryKind{HeaderQuery, BodyQuery, FlagQuery} {
		for _, q := range g.Queries(kind, 500) {
			got := g.Expect(q, 500)
			// Independent count over the rendered text for substring fields.
			if q.Field != "" {
				n := 0
				for i := 0; i < 500; i++ {
					m := g.Meta(i)
					all := FromToken(m.Sender) + ToToken(m.Recipient) + SubjectToken(m.Subject) + BodyToken(m.Body)
					if strings.Contains(all, q.Value) {
						n++
					}
				}
				if n != got {
					t.Errorf("%s: Expect %d, count %d", q, got, n)
				}
			}
			if strings.HasSuffix(q.Name, "miss") {
				if got != 0 {
					t.Errorf("%s expects %d hits, want 0", q, got)
				}
			} else if got == 0 || got == 500 {
				t.Errorf("%s expects %d of 500 hits: not selective", q, got)
			}
		}
	}
}

func TestConfigErrorsAndRange(t *testing.T) {
	if _, err := NewGenerator(Config{Messages: -1}); !errors.Is(err, ErrCorpus) {
		t.Errorf("negative count: %v", err)
	}
	if _, err := NewGenerator(Config{Messages: 1, MaxAttachment: 10}); !errors.Is(err, ErrCorpus) {
		t.Errorf("tiny MaxAttachment: %v", err)
	}
	if _, err := NewGenerator(Config{Messages: 1, LargeRate: 2}); !errors.Is(err, ErrCorpus) {
		t.Errorf("LargeRate 2: %v", err)
	}
	if _, err := NewGenerator(Config{Messages: 1, MaxAttachment: 4096, LargeMin: 8192}); !errors.Is(err, ErrCorpus) {
		t.Errorf("LargeMin above MaxAttachment: %v", err)
	}
	g := newGen(t, 1, 3)
	for _, i := range []int{-1, 3} {
		if _, err := g.Message(0, i); !errors.Is(err, ErrCorpus) {
			t.Errorf("Message(%d): %v", i, err)
		}
	}
}

// writeMbox writes the generator's messages as an mboxrd file with LF
// endings, quoting body lines that start with "From ".
func writeMbox(t *testing.T, g *Generator, path string) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	var want [][]byte
	for i := 0; i < g.Len(); i++ {
		msg, _ := g.Message(0, i)
		raw := msg.Raw
		if i == 1 {
			// A body line that must be quoted in the mbox and restored.
			raw = bytes.Replace(raw, []byte("\r\n\r\n"), []byte("\r\n\r\nFrom the desk of the editor\r\n>From quoted already\r\n"), 1)
		}
		want = append(want, raw)
		lf := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
		lf = regexp.MustCompile(`(?m)^(>*From )`).ReplaceAll(lf, []byte(">$1"))
		fmt.Fprintf(&buf, "From bounce@example.org %s\n", msg.Date.Format("Mon Jan _2 15:04:05 2006"))
		buf.Write(lf)
		buf.WriteString("\n")
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return want
}

func TestMboxRoundTrip(t *testing.T) {
	g := newGen(t, 11, 25)
	path := filepath.Join(t.TempDir(), "mail.mbox")
	want := writeMbox(t, g, path)
	src, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.(*Mbox).Close()
	if src.Len() != 25 {
		t.Fatalf("Len = %d, want 25", src.Len())
	}
	for i := 0; i < 25; i++ {
		got, err := src.Message(3, i)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Raw, want[i]) {
			t.Fatalf("message %d differs after the mbox round trip:\n%q\nwant\n%q", i, head(got.Raw), head(want[i]))
		}
		if !got.Date.Equal(g.Meta(i).Date) {
			t.Fatalf("message %d date %v, want %v", i, got.Date, g.Meta(i).Date)
		}
	}
	if _, err := src.Message(0, 25); !errors.Is(err, ErrCorpus) {
		t.Errorf("out of range: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.mbox")
	os.WriteFile(empty, []byte("no separator here\n"), 0o644)
	if _, err := OpenMbox(empty); !errors.Is(err, ErrCorpus) {
		t.Errorf("mbox without messages: %v", err)
	}
}

func TestMaildirRoundTrip(t *testing.T) {
	g := newGen(t, 12, 20)
	dir := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
	}
	for i := 0; i < 20; i++ {
		msg, _ := g.Message(0, i)
		name := fmt.Sprintf("%010d.M%dP1.bench", 1700000000+i, i)
		sub := "new"
		if i%2 == 0 {
			sub = "cur"
			name += ":2," + map[bool]string{true: "FS", false: "S"}[i%4 == 0]
		}
		// Maildir files use LF; the reader restores CRLF.
		lf := bytes.ReplaceAll(msg.Raw, []byte("\r\n"), []byte("\n"))
		if err := os.WriteFile(filepath.Join(dir, sub, name), lf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if src.Len() != 20 {
		t.Fatalf("Len = %d", src.Len())
	}
	for i := 0; i < 20; i++ {
		got, err := src.Message(0, i)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := g.Message(0, i)
		if !bytes.Equal(got.Raw, want.Raw) {
			t.Fatalf("message %d differs after the Maildir round trip", i)
		}
		wantFlags := ""
		if i%2 == 0 {
			wantFlags = map[bool]string{true: `[\Flagged \Seen]`, false: `[\Seen]`}[i%4 == 0]
		} else {
			wantFlags = "[]"
		}
		if fmt.Sprint(got.Flags) != wantFlags {
			t.Fatalf("message %d flags %v, want %s", i, got.Flags, wantFlags)
		}
	}
	if _, err := OpenMaildir(t.TempDir()); !errors.Is(err, ErrCorpus) {
		t.Errorf("not a Maildir: %v", err)
	}
}
