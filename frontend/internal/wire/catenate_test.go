package wire

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// readCat reads one message's CATENATE parts, TEXT bodies included, and
// renders them as "T:body" / "U:url" / "B:body" (literal8).
func readCat(t *testing.T, d *testDecoder) ([]string, error) {
	t.Helper()
	var parts []string
	for {
		p, err := d.ReadCatPart()
		if err != nil {
			return parts, err
		}
		if p == nil {
			return parts, nil
		}
		if !p.Text {
			parts = append(parts, "U:"+p.URL)
			continue
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatalf("TEXT body: %v", err)
		}
		if int64(len(b)) != p.Size {
			t.Fatalf("TEXT size %d, read %d", p.Size, len(b))
		}
		kind := "T:"
		if p.Binary {
			kind = "B:"
		}
		parts = append(parts, kind+string(b))
	}
}

func TestCatenateMulti(t *testing.T) {
	in := "a APPEND Drafts (\\Seen) CATENATE (URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER\" TEXT {5}\r\n" +
		"\r\n--x URL {13}\r\n/INBOX/;UID=1 TEXT ~{2}\r\n\x00\x01 url ;UID=2)" +
		" \"2-Jan-2021 10:00:00 +0000\" CATENATE (text {1+}\r\nz)" +
		" {3+}\r\nabc\r\nn NOOP\r\n"
	d := newTestDecoder(in, DefaultLimits())
	readCommandName(t, d, "a", "APPEND")

	msg, err := d.ReadAppendMessage()
	if err != nil || msg == nil || !msg.Catenate || msg.Body != nil {
		t.Fatalf("message 1: %+v, %v", msg, err)
	}
	if !reflect.DeepEqual(msg.Flags, []string{`\Seen`}) {
		t.Errorf("flags %v", msg.Flags)
	}
	if _, err := d.ReadAppendMessage(); !errors.Is(err, ErrAppendState) {
		t.Fatalf("ReadAppendMessage inside CATENATE: %v", err)
	}
	d = newTestDecoder(in, DefaultLimits())
	readCommandName(t, d, "a", "APPEND")
	if msg, err = d.ReadAppendMessage(); err != nil || !msg.Catenate {
		t.Fatal(msg, err)
	}
	parts, err := readCat(t, d)
	want := []string{"U:/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER", "T:\r\n--x", "U:/INBOX/;UID=1", "B:\x00\x01", "U:;UID=2"}
	if err != nil || !reflect.DeepEqual(parts, want) {
		t.Fatalf("message 1 parts %q, %v; want %q", parts, err, want)
	}
	if d.conts != 3 { // {5}, {13} and ~{2}
		t.Errorf("continuations %d, want 3", d.conts)
	}

	msg, err = d.ReadAppendMessage()
	if err != nil || !msg.Catenate || msg.Date.IsZero() {
		t.Fatalf("message 2: %+v, %v", msg, err)
	}
	if parts, err = readCat(t, d); err != nil || !reflect.DeepEqual(parts, []string{"T:z"}) {
		t.Fatalf("message 2 parts %q, %v", parts, err)
	}

	msg, err = d.ReadAppendMessage()
	if err != nil || msg.Catenate {
		t.Fatalf("message 3: %+v, %v", msg, err)
	}
	if b, _ := io.ReadAll(msg.Body); string(b) != "abc" {
		t.Fatalf("message 3 body %q", b)
	}
	if msg, err := d.ReadAppendMessage(); msg != nil || err != nil {
		t.Fatalf("end: %v %v", msg, err)
	}
	readCommandName(t, d, "n", "NOOP")
}

// TestCatenateRefused covers malformed CATENATE lists and a caller that
// refuses a part; each time the next command must be read cleanly.
func TestCatenateRefused(t *testing.T) {
	lim := smallLimits() // MaxLiteral 1000, MaxNonSyncLiteral 100
	cases := []struct {
		name    string
		in      string
		skipAt  int    // skip the command after this many parts; -1: read to the error
		wantErr string // substring of the SyntaxError
		code    string
		conts   int
	}{
		{"empty list", "a APPEND x CATENATE ()\r\n", -1, "Expected TEXT or URL", "", 0},
		{"unknown part", "a APPEND x CATENATE (FOO \"x\")\r\n", -1, "Expected TEXT or URL", "", 0},
		{"TEXT without literal", "a APPEND x CATENATE (TEXT \"abc\")\r\n", -1, "Expected literal after TEXT", "", 0},
		{"URL without argument", "a APPEND x CATENATE (URL)\r\n", -1, "Expected SP", "", 0},
		{"unterminated", "a APPEND x CATENATE (URL x\r\n", -1, "Expected SP or ')'", "", 0},
		{"no paren", "a APPEND x CATENATE URL x\r\n", -1, "Expected '('", "", 0},
		{"misspelt", "a APPEND x CATENAT (URL x)\r\n", -1, "Expected message literal or CATENATE", "", 0},
		{"TEXT too big", "a APPEND x CATENATE (URL y TEXT {1001}\r\n", -1, "too big", "TOOBIG", 0},
		{"TEXT nonsync too big", "a APPEND x CATENATE (TEXT {101+}\r\n" + strings.Repeat("x", 101) + ")\r\n", -1, "too big", "TOOBIG", 0},
		{"literal not last", "a APPEND x CATENATE (TEXT {3} URL y)\r\n", -1, "Literal must end", "", 0},
		{"garbage after list", "a APPEND x CATENATE (URL y)junk\r\n", -1, "Expected SP", "", 0},
		{"skip after URL", "a APPEND x CATENATE (URL y TEXT {3+}\r\nabc)\r\n", 1, "", "", 0},
		{"skip before sync TEXT", "a APPEND x CATENATE (URL y TEXT {3}\r\n", 2, "", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecoder(tc.in+"n NOOP\r\n", lim)
			readCommandName(t, d, "a", "APPEND")
			msg, err := d.ReadAppendMessage()
			if err == nil && tc.skipAt >= 0 {
				for i := 0; i < tc.skipAt; i++ {
					p, err := d.ReadCatPart()
					if err != nil || p == nil {
						t.Fatalf("part %d: %v %v", i, p, err)
					}
					if p.Text && i < tc.skipAt-1 {
						io.ReadAll(p.Body)
					}
				}
				if err := d.SkipCommand(); err != nil {
					t.Fatal(err)
				}
			} else {
				if err == nil {
					if !msg.Catenate {
						t.Fatalf("not a CATENATE message: %+v", msg)
					}
					_, err = readCat(t, d)
					if err == nil {
						_, err = d.ReadAppendMessage()
					}
				}
				se := syntaxErr(t, err)
				if se.Tag != "a" || !strings.Contains(se.Msg, tc.wantErr) || se.Code != tc.code {
					t.Fatalf("got %+v, want %q code %q", se, tc.wantErr, tc.code)
				}
			}
			if d.conts != tc.conts {
				t.Errorf("continuations = %d, want %d", d.conts, tc.conts)
			}
			readCommandName(t, d, "n", "NOOP")
		})
	}
}

func TestCatenateNesting(t *testing.T) {
	lim := smallLimits()
	lim.MaxNesting = 0
	d := newTestDecoder("a APPEND x CATENATE (URL y)\r\nn NOOP\r\n", lim)
	readCommandName(t, d, "a", "APPEND")
	_, err := d.ReadAppendMessage()
	if se := syntaxErr(t, err); !strings.Contains(se.Msg, "nested") {
		t.Fatalf("got %+v", se)
	}
	readCommandName(t, d, "n", "NOOP")
}

func TestParseSection(t *testing.T) {
	cases := []struct {
		in   string
		want *Section
	}{
		{"", &Section{}},
		{"1.2", &Section{Part: []int{1, 2}}},
		{"header", &Section{Specifier: "HEADER"}},
		{"TEXT", &Section{Specifier: "TEXT"}},
		{"1.MIME", &Section{Part: []int{1}, Specifier: "MIME"}},
		{"2.1.HEADER", &Section{Part: []int{2, 1}, Specifier: "HEADER"}},
		{"HEADER.FIELDS (Subject \"From\")", &Section{Specifier: "HEADER.FIELDS", Fields: []string{"Subject", "From"}}},
		{"1.HEADER.FIELDS.NOT (X)", &Section{Part: []int{1}, Specifier: "HEADER.FIELDS.NOT", Fields: []string{"X"}}},
	}
	for _, tc := range cases {
		got, err := ParseSection(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseSection(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"0", "1.", "MIME", "HEADER.FIELDS", "HEADER.FIELDS ()", "FOO", "1]", "HEADER.FIELDS ({3}", "1 2", "TEXT\r\n", "[1]"} {
		if got, err := ParseSection(in); err == nil {
			t.Errorf("ParseSection(%q) = %+v, want an error", in, got)
		}
	}
}
