package message

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/metadata/base"
)

// recorder is an Opener over an in-memory message that records every range
// it is asked for.
type recorder struct {
	raw   string
	calls []string // "offset+length"
	err   error
}

func (r *recorder) open(_ context.Context, off, n int64) (io.ReadCloser, error) {
	r.calls = append(r.calls, fmt.Sprintf("%d+%d", off, n))
	if r.err != nil {
		return nil, r.err
	}
	if n < 0 {
		n = int64(len(r.raw)) - off
	}
	if off < 0 || off+n > int64(len(r.raw)) {
		return nil, fmt.Errorf("range %d+%d out of %d", off, n, len(r.raw))
	}
	return io.NopCloser(strings.NewReader(r.raw[off : off+n])), nil
}

// rng renders the range of s inside raw as the recorder does.
func rng(raw, s string) string {
	i := strings.Index(raw, s)
	if i < 0 {
		panic("test: substring not found: " + s)
	}
	return fmt.Sprintf("%d+%d", i, len(s))
}

func sec(part []int, spec string, fields ...string) *wire.Section {
	return &wire.Section{Part: part, Specifier: spec, Fields: fields}
}

func TestOpenSection(t *testing.T) {
	nested, simple := msgNested, msgSimple
	nestedHdr := nested[:strings.Index(nested, "\r\n\r\n")+4]
	innerStart := strings.Index(nested, "From: orig@")
	// The inner multipart's close delimiter line, line break included,
	// is the last line of the part (DIFFERENCES.md D2).
	innerEnd := strings.Index(nested, "--y--\r\n") + len("--y--\r\n")
	inner := nested[innerStart:innerEnd]
	innerHdr := inner[:strings.Index(inner, "\r\n\r\n")+4]
	innerText := inner[len(innerHdr):]
	simpleHdr := simple[:strings.Index(simple, "\r\n\r\n")+4]

	tests := []struct {
		name    string
		msg     string
		sec     *wire.Section
		partial *wire.Partial
		want    string
		calls   []string // ranges read; nil means none
		err     error
	}{
		{name: "BODY[]", msg: nested, sec: sec(nil, ""), want: nested, calls: []string{rng(nested, nested)}},
		{name: "nil section", msg: nested, sec: nil, want: nested, calls: []string{rng(nested, nested)}},
		{name: "HEADER from meta", msg: nested, sec: sec(nil, "HEADER"), want: nestedHdr},
		{name: "header is case-insensitive", msg: nested, sec: sec(nil, "header"), want: nestedHdr},
		{name: "HEADER.FIELDS from meta", msg: nested, sec: sec(nil, "HEADER.FIELDS", "SUBJECT", "from", "X-Absent"),
			want: "From: fwd@example.com\r\nSubject: Fwd: hello\r\n\r\n"},
		{name: "HEADER.FIELDS.NOT", msg: nested, sec: sec(nil, "HEADER.FIELDS.NOT", "From", "To", "Date"),
			want: "Subject: Fwd: hello\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n"},
		{name: "HEADER.FIELDS keeps folding", msg: msgEncodedWords, sec: sec(nil, "HEADER.FIELDS", "Subject"),
			want: "Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\r\n\r\n"},
		{name: "HEADER.FIELDS nothing matches", msg: nested, sec: sec(nil, "HEADER.FIELDS", "X-None"), want: "\r\n"},
		{name: "TEXT", msg: nested, sec: sec(nil, "TEXT"), want: nested[len(nestedHdr):], calls: []string{rng(nested, nested[len(nestedHdr):])}},
		{name: "part 1", msg: nested, sec: sec([]int{1}, ""), want: "see below", calls: []string{rng(nested, "see below")}},
		{name: "part 1 MIME", msg: nested, sec: sec([]int{1}, "MIME"), want: "Content-Type: text/plain\r\n\r\n",
			calls: []string{rng(nested, "Content-Type: text/plain\r\n\r\n")}},
		{name: "message/rfc822 part", msg: nested, sec: sec([]int{2}, ""), want: inner, calls: []string{rng(nested, inner)}},
		{name: "2.HEADER", msg: nested, sec: sec([]int{2}, "HEADER"), want: innerHdr, calls: []string{rng(nested, innerHdr)}},
		{name: "2.TEXT", msg: nested, sec: sec([]int{2}, "TEXT"), want: innerText, calls: []string{rng(nested, innerText)}},
		{name: "2.HEADER.FIELDS reads the inner header only", msg: nested, sec: sec([]int{2}, "HEADER.FIELDS", "subject"),
			want: "Subject: hello\r\n\r\n", calls: []string{rng(nested, innerHdr)}},
		{name: "2.1 inside the encapsulated multipart", msg: nested, sec: sec([]int{2, 1}, ""), want: "hi there", calls: []string{rng(nested, "hi there")}},
		{name: "2.2.MIME", msg: nested, sec: sec([]int{2, 2}, "MIME"), want: "Content-Type: text/html\r\n\r\n",
			calls: []string{rng(nested, "Content-Type: text/html\r\n\r\n")}},
		{name: "2.MIME is the part's own header", msg: nested, sec: sec([]int{2}, "MIME"), want: "Content-Type: message/rfc822\r\n\r\n",
			calls: []string{rng(nested, "Content-Type: message/rfc822\r\n\r\n")}},
		{name: "single part: 1 is the body", msg: simple, sec: sec([]int{1}, ""), want: simple[len(simpleHdr):], calls: []string{rng(simple, simple[len(simpleHdr):])}},
		{name: "single part: 1.MIME is the header", msg: simple, sec: sec([]int{1}, "MIME"), want: simpleHdr, calls: []string{rng(simple, simpleHdr)}},
		{name: "partial", msg: nested, sec: sec([]int{1}, ""), partial: &wire.Partial{Offset: 2, Count: 3}, want: "e b",
			calls: []string{fmt.Sprintf("%d+3", strings.Index(nested, "see below")+2)}},
		{name: "partial past the end", msg: nested, sec: sec([]int{1}, ""), partial: &wire.Partial{Offset: 100, Count: 3}, want: ""},
		{name: "partial count past the end", msg: nested, sec: sec([]int{1}, ""), partial: &wire.Partial{Offset: 4, Count: 100}, want: "below",
			calls: []string{fmt.Sprintf("%d+5", strings.Index(nested, "see below")+4)}},
		{name: "partial of HEADER from meta", msg: nested, sec: sec(nil, "HEADER"), partial: &wire.Partial{Offset: 0, Count: 4}, want: "From"},
		{name: "no part 3", msg: nested, sec: sec([]int{3}, ""), err: ErrNoSuchPart},
		{name: "no part 0", msg: nested, sec: sec([]int{0}, ""), err: ErrNoSuchPart},
		{name: "no part under a leaf", msg: nested, sec: sec([]int{1, 1}, ""), err: ErrNoSuchPart},
		{name: "HEADER of a non-message part", msg: nested, sec: sec([]int{1}, "HEADER"), err: ErrNoSuchPart},
		{name: "single part has no part 2", msg: simple, sec: sec([]int{2}, ""), err: ErrNoSuchPart},
		{name: "MIME without part", msg: nested, sec: sec(nil, "MIME"), err: ErrInvalidSection},
		{name: "unknown specifier", msg: nested, sec: sec(nil, "BOGUS"), err: ErrInvalidSection},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := analyze(t, tc.msg)
			rec := &recorder{raw: tc.msg}
			size, rc, err := OpenSection(context.Background(), m, tc.sec, false, tc.partial, rec.open)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != tc.want || size != int64(len(tc.want)) {
				t.Errorf("got %d %q, want %q", size, got, tc.want)
			}
			if strings.Join(rec.calls, " ") != strings.Join(tc.calls, " ") {
				t.Errorf("reads %v, want %v", rec.calls, tc.calls)
			}
		})
	}
}

func TestOpenSectionBinary(t *testing.T) {
	raw := msgBinary
	tests := []struct {
		name    string
		part    []int
		partial *wire.Partial
		want    string
		err     error
	}{
		{name: "quoted-printable", part: []int{1}, want: "Gr\xfc\xdfe, soft break"},
		{name: "base64", part: []int{2}, want: "Hello, world!"},
		{name: "base64 partial", part: []int{2}, partial: &wire.Partial{Offset: 7, Count: 5}, want: "world"},
		{name: "unknown CTE", part: []int{3}, err: ErrUnknownCTE},
		{name: "unpadded base64", part: []int{4}, want: "A"},
		{name: "truncated base64", part: []int{5}, err: ErrUnknownCTE},
		// RFC 2045 §6.7 note (1): a robust decoder keeps a bad escape.
		{name: "bad quoted-printable escape is kept", part: []int{6}, want: "bad =ZZ escape"},
		{name: "no such part", part: []int{9}, err: ErrNoSuchPart},
		{name: "whole message is not decoded", part: nil, want: raw},
	}
	m := analyze(t, raw)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{raw: raw}
			size, rc, err := OpenSection(context.Background(), m, sec(tc.part, ""), true, tc.partial, rec.open)
			bsize, berr := BinarySize(context.Background(), m, sec(tc.part, ""), rec.open)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(berr, tc.err) {
					t.Fatalf("err = %v / %v, want %v", err, berr, tc.err)
				}
				if tc.err == ErrUnknownCTE && tc.name == "unknown CTE" && len(rec.calls) != 0 {
					t.Errorf("read %v for an unknown encoding", rec.calls)
				}
				return
			}
			if err != nil || berr != nil {
				t.Fatal(err, berr)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != tc.want || size != int64(len(got)) {
				t.Errorf("got %d %q, want %q", size, got, tc.want)
			}
			if tc.partial == nil && bsize != size {
				t.Errorf("BinarySize = %d, want %d", bsize, size)
			}
		})
	}

	if _, _, err := OpenSection(context.Background(), m, sec([]int{1}, "MIME"), true, nil, (&recorder{raw: raw}).open); !errors.Is(err, ErrInvalidSection) {
		t.Errorf("BINARY[1.MIME]: err = %v", err)
	}
}

// A decoded section too large to keep in memory is decoded twice, streamed
// the second time.
func TestOpenSectionBinaryLarge(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), (maxDecodedInMemory+4096)/16)
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.WriteString("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	raw := b.String()
	m := analyze(t, raw)

	rec := &recorder{raw: raw}
	size, rc, err := OpenSection(context.Background(), m, sec([]int{1}, ""), true, &wire.Partial{Offset: 1 << 20, Count: 100}, rec.open)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if size != 100 || !bytes.Equal(got, data[1<<20:1<<20+100]) {
		t.Errorf("got %d %q", size, got)
	}
	if len(rec.calls) != 2 || rec.calls[0] != rec.calls[1] {
		t.Errorf("reads %v, want the part twice", rec.calls)
	}
	n, err := BinarySize(context.Background(), m, sec([]int{1}, ""), rec.open)
	if err != nil || n != int64(len(data)) {
		t.Errorf("BinarySize = %d %v, want %d", n, err, len(data))
	}
}

func TestOpenSectionReadError(t *testing.T) {
	boom := errors.New("boom")
	m := analyze(t, msgNested)
	rec := &recorder{raw: msgNested, err: boom}
	for _, s := range []*wire.Section{sec(nil, ""), sec([]int{2}, "HEADER.FIELDS", "Subject")} {
		if _, _, err := OpenSection(context.Background(), m, s, false, nil, rec.open); !errors.Is(err, boom) {
			t.Errorf("%+v: err = %v, want boom", s, err)
		}
	}
	mb := analyze(t, msgBinary)
	if _, err := BinarySize(context.Background(), mb, sec([]int{2}, ""), rec.open); !errors.Is(err, boom) || errors.Is(err, ErrUnknownCTE) {
		t.Errorf("BinarySize: err = %v, want boom", err)
	}
}

func TestBinarySizeIdentityNeedsNoRead(t *testing.T) {
	m := analyze(t, msgNested)
	rec := &recorder{raw: msgNested}
	n, err := BinarySize(context.Background(), m, sec([]int{1}, ""), rec.open)
	if err != nil || n != int64(len("see below")) || len(rec.calls) != 0 {
		t.Errorf("BinarySize = %d %v, reads %v", n, err, rec.calls)
	}
}

func TestQuotedPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain\r\n", "plain\r\n"},
		{"caf=C3=A9 =3D=3d\r\n", "caf\xc3\xa9 ==\r\n"},
		{"soft=\r\nbreak", "softbreak"},
		{"trailing   \r\nspace\t\n", "trailing\r\nspace\n"},
		{"bad =Z and =4", "bad =Z and =4"},
		{"ctrl\x01\x0cbytes=\n", "ctrl\x01\x0cbytes"},
		{"end=", "end="},
	} {
		d, err := decoder("quoted-printable", strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(d)
		if err != nil || string(got) != tc.want {
			t.Errorf("qp(%q) = %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestBase64(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "SGVsbG8=", want: "Hello"},
		{in: "SGVs\r\nbG8=\r\n", want: "Hello"},
		{in: "SG Vs*bG8", want: "Hello"}, // RFC 2045 §6.8: ignore non-alphabet
		{in: "SGVsbG8=trailing", want: "Hello"},
		{in: "SGVsbG8h", want: "Hello!"},
		{in: "SGVsb", bad: true},
		{in: "", want: ""},
	} {
		d, _ := decoder("base64", strings.NewReader(tc.in))
		got, err := io.ReadAll(d)
		if tc.bad {
			if !errors.Is(err, ErrUnknownCTE) {
				t.Errorf("b64(%q): err = %v", tc.in, err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("b64(%q) = %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestBinaryEncodingSpelling(t *testing.T) {
	raw := crlf("Content-Type: application/octet-stream\nContent-Transfer-Encoding: BASE64 (as sent by an old mailer)\n\nSGVsbG8=\n")
	m := analyze(t, raw)
	if m.Part.TransferEncoding != "base64" {
		t.Fatalf("TransferEncoding = %q", m.Part.TransferEncoding)
	}
	rec := &recorder{raw: raw}
	size, rc, err := OpenSection(context.Background(), m, sec([]int{1}, ""), true, nil, rec.open)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	if size != 5 || string(got) != "Hello" {
		t.Errorf("BINARY[1] = %d %q", size, got)
	}
}

func TestInvalidSectionIsInvalidArgument(t *testing.T) {
	m := analyze(t, msgSimple)
	_, _, err := OpenSection(context.Background(), m, sec(nil, "MIME"), false, nil, (&recorder{raw: msgSimple}).open)
	if !errors.Is(err, ErrInvalidSection) || !errors.Is(err, base.ErrInvalidArgument) {
		t.Errorf("err = %v", err)
	}
}

// TestBinaryConvergedWithDovecot pins the BINARY answers that follow from
// the structure Dovecot and postbus now share (DIFFERENCES.md D4 and the
// transfer-encoding parsing): a message/rfc822 part under base64 is served
// as it is; an encoding followed by junk names no encoding, so BINARY
// fails with UNKNOWN-CTE while BODYSTRUCTURE says 7bit.
func TestBinaryConvergedWithDovecot(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		part      []int
		want      string
		err       error
		enc       string // body-fld-enc in BODYSTRUCTURE
	}{{
		name: "base64 message/rfc822 is not decoded",
		msg:  crlf("Content-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQp5DQo=\n--z--\n"),
		part: []int{1}, want: "U3ViamVjdDogeA0KDQp5DQo=\r\n", enc: `"base64"`,
	}, {
		name: "junk after the encoding",
		msg:  crlf("Content-Type: text/plain\nContent-Transfer-Encoding: base64 junk\n\naGVsbG8=\n"),
		part: []int{1}, err: ErrUnknownCTE, enc: `"7bit"`,
	}, {
		name: "comment after the encoding",
		msg:  crlf("Content-Type: text/plain\nContent-Transfer-Encoding: base64 (old mailer)\n\naGVsbG8=\n"),
		part: []int{1}, want: "hello", enc: `"base64"`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := analyze(t, tc.msg)
			if !strings.Contains(string(m.BodyStructure), " NIL NIL "+tc.enc+" ") {
				t.Errorf("BODYSTRUCTURE %s, want encoding %s", m.BodyStructure, tc.enc)
			}
			rec := &recorder{raw: tc.msg}
			size, rc, err := OpenSection(context.Background(), m, sec(tc.part, ""), true, nil, rec.open)
			bsize, berr := BinarySize(context.Background(), m, sec(tc.part, ""), rec.open)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(berr, tc.err) {
					t.Fatalf("err = %v / %v, want %v", err, berr, tc.err)
				}
				return
			}
			if err != nil || berr != nil {
				t.Fatal(err, berr)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != tc.want || size != int64(len(got)) || bsize != size {
				t.Errorf("got %d/%d %q, want %q", size, bsize, got, tc.want)
			}
		})
	}
}
