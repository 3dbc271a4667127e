package search

import (
	"bytes"
	"testing"
)

func TestFoldEquivalence(t *testing.T) {
	same := [][]string{
		{"a", "A"},
		{"k", "K", "\u212a"}, // KELVIN SIGN
		{"s", "S", "\u017f"}, // LATIN SMALL LETTER LONG S
		{"σ", "Σ", "ς"},      // final sigma folds with sigma
		{"ß", "ẞ"},           // simple folding; "ss" is full folding only
		{"å", "Å", "\u212b"}, // ANGSTROM SIGN
		{"ǆ", "ǅ", "Ǆ"},      // titlecase digraph
		{"straße", "STRAẞE"},
		{"Ωmega", "\u2126MEGA"}, // OHM SIGN
	}
	for _, group := range same {
		want := foldString(group[0])
		for _, s := range group[1:] {
			if got := foldString(s); !bytes.Equal(got, want) {
				t.Errorf("fold(%q) = %q, fold(%q) = %q; want equal", s, got, group[0], want)
			}
		}
	}
	different := [][2]string{{"ss", "ß"}, {"i", "İ"}, {"a", "á"}}
	for _, d := range different {
		if bytes.Equal(foldString(d[0]), foldString(d[1])) {
			t.Errorf("fold(%q) == fold(%q), want different", d[0], d[1])
		}
	}
}

func TestAppendFold(t *testing.T) {
	tests := []struct {
		in       string
		final    bool
		want     string
		wantRest int
	}{
		{"abc", false, "ABC", 0},
		{"ab\xc3", false, "AB", 1},     // é split after its first byte
		{"ab\xe2\x98", false, "AB", 2}, // ☃ split after two bytes
		{"ab\xc3", true, "AB\xc3", 0},  // at the end it is just a bad byte
		{"a\xffb", false, "A\xffB", 0}, // invalid byte kept as is
		{"\xc3\xa9t\xc3\xa9", true, "ÉTÉ", 0},
	}
	for _, tc := range tests {
		got, rest := appendFold(nil, []byte(tc.in), tc.final)
		if string(got) != tc.want || rest != tc.wantRest {
			t.Errorf("appendFold(%q, %v) = %q, %d; want %q, %d", tc.in, tc.final, got, rest, tc.want, tc.wantRest)
		}
	}
}

func TestFoldNeverGrows(t *testing.T) {
	// streamContains relies on folded text being no longer than its input.
	for r := rune(0); r <= 0x10ffff; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		f := foldRune(r)
		if len(string(f)) > len(string(r)) {
			t.Fatalf("fold(%U) = %U is longer", r, f)
		}
	}
}

func TestParseHeader(t *testing.T) {
	h := parseHeader([]byte("A: 1\r\nB:2\r\n  cont\r\n\tmore\r\nnoise\r\n cont-of-noise\r\n: empty name\r\nC : 3\r\n\r\nD: body\r\n"))
	var got []string
	for i := range h.fields {
		got = append(got, string(h.fields[i].name)+"="+string(h.value(i)))
	}
	want := []string{"A=1", "B=2  cont\tmore", "C=3"}
	if len(got) != len(want) {
		t.Fatalf("fields %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d = %q, want %q", i, got[i], want[i])
		}
	}
	if n := len(parseHeader([]byte("X: no end")).fields); n != 1 {
		t.Errorf("header without final CRLF: %d fields, want 1", n)
	}
}

func TestTestMessageTree(t *testing.T) {
	// The helper that stands in for the real MIME parser must itself be
	// right, or the body tests prove nothing.
	m := testMessage(t, "b", raw2)
	p := m.Part
	if p.ContentType != "multipart/mixed" || len(p.Children) != 2 {
		t.Fatalf("top: %s with %d children", p.ContentType, len(p.Children))
	}
	alt := p.Children[0]
	if alt.ContentType != "multipart/alternative" || len(alt.Children) != 2 {
		t.Fatalf("alternative: %s with %d children", alt.ContentType, len(alt.Children))
	}
	qp := alt.Children[0]
	body := raw2[qp.BodyOffset : qp.BodyOffset+qp.BodyLength]
	if qp.Charset != "ISO-8859-1" || qp.TransferEncoding != "quoted-printable" || body != "Caf=E9 cr=E8me br=FBl=E9e is d=\r\nelicious." {
		t.Errorf("qp part: %+v body %q", qp, body)
	}
	fwd := testMessage(t, "b", raw3).Part
	if fwd.Message == nil || fwd.Message.TransferEncoding != "base64" {
		t.Fatalf("rfc822: %+v", fwd)
	}
	hdr := raw3[fwd.Message.HeaderOffset : fwd.Message.HeaderOffset+fwd.Message.HeaderLength]
	if hdr[:5] != "From:" || hdr[len(hdr)-4:] != "\r\n\r\n" {
		t.Errorf("inner header %q", hdr)
	}
}
