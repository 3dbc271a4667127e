package message

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/proto/metadatapb"
)

func analyze(t testing.TB, msg string) *metadatapb.MessageMeta {
	t.Helper()
	m, err := Analyze(strings.NewReader(msg), int64(len(msg)))
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	return m
}

// The expected wire strings were checked by hand against RFC 9051 §7.5.2
// (msgSimple is the RFC's own ENVELOPE example) and, for BODYSTRUCTURE, with
// go-imap's server in oracle_test.go.
func TestAnalyzeStructures(t *testing.T) {
	tests := []struct {
		name          string
		msg           string
		envelope      string
		bodyStructure string
		body          string // "" to skip
	}{{
		name:          "simple text",
		msg:           msgSimple,
		envelope:      `("Mon, 7 Feb 1994 21:52:25 -0800 (PST)" "afternoon meeting" (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) ((NIL NIL "mooch" "owatagu.siam.edu.example")) NIL NIL NIL "<B27397-0100000@Blurdybloop.example>")`,
		bodyStructure: `("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 55 1 NIL NIL NIL NIL)`,
		body:          `("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 55 1)`,
	}, {
		name:          "multipart/alternative",
		msg:           msgAlternative,
		envelope:      `("Tue, 1 Apr 2025 10:00:00 +0200" "plans" (("Doe, Jane" NIL "jane" "example.org")) (("Doe, Jane" NIL "jane" "example.org")) (("Doe, Jane" NIL "jane" "example.org")) ((NIL NIL "bob" "example.com")) NIL NIL NIL "<alt1@example.org>")`,
		bodyStructure: `(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 29 1 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 82 0 NIL NIL NIL NIL) "alternative" ("boundary" "==alt==") NIL NIL NIL)`,
		body:          `(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 29 1)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 82 0) "alternative")`,
	}, {
		name:          "mixed with base64 attachment",
		msg:           msgMixed,
		envelope:      `("Wed, 2 Apr 2025 08:30:00 +0000" "report" ((NIL NIL "alice" "example.com")) ((NIL NIL "alice" "example.com")) ((NIL NIL "alice" "example.com")) ((NIL NIL "bob" "example.com")(NIL NIL "carol" "example.com")) (("Dave" NIL "dave" "example.com")) NIL "<prev@example.com>" "<mixed1@example.com>")`,
		bodyStructure: `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 0 NIL NIL NIL NIL)("application" "pdf" ("name" "report.pdf") "<part2@example.com>" "The report" "base64" 22 NIL ("attachment" ("filename" "report.pdf")) NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL)`,
		body:          `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 13 0)("application" "pdf" ("name" "report.pdf") "<part2@example.com>" "The report" "base64" 22) "mixed")`,
	}, {
		name:          "nested message/rfc822",
		msg:           msgNested,
		envelope:      `("Thu, 3 Apr 2025 12:00:00 -0500" "Fwd: hello" ((NIL NIL "fwd" "example.com")) ((NIL NIL "fwd" "example.com")) ((NIL NIL "fwd" "example.com")) ((NIL NIL "you" "example.com")) NIL NIL NIL NIL)`,
		bodyStructure: `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 251 ("Thu, 3 Apr 2025 11:00:00 -0500" "hello" ((NIL NIL "orig" "example.com")) ((NIL NIL "orig" "example.com")) ((NIL NIL "orig" "example.com")) ((NIL NIL "fwd" "example.com")) NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 0 NIL NIL NIL NIL)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 15 0 NIL NIL NIL NIL) "alternative" ("boundary" "y") NIL NIL NIL) 15 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL)`,
		body:          `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0)("message" "rfc822" NIL NIL NIL "7bit" 251 ("Thu, 3 Apr 2025 11:00:00 -0500" "hello" ((NIL NIL "orig" "example.com")) ((NIL NIL "orig" "example.com")) ((NIL NIL "orig" "example.com")) ((NIL NIL "fwd" "example.com")) NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 0)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 15 0) "alternative") 15) "mixed")`,
	}, {
		// Envelope strings stay encoded (RFC 9051 §7.5.2, as Dovecot).
		name:          "RFC 2047 subject and addresses",
		msg:           msgEncodedWords,
		envelope:      `("4 Apr 2025 09:15 +0100" "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=" (("=?ISO-8859-1?Q?Andr=E9?= Pirard" NIL "PIRARD" "vm1.ulg.ac.be")) (("=?ISO-8859-1?Q?Andr=E9?= Pirard" NIL "PIRARD" "vm1.ulg.ac.be")) (("=?ISO-8859-1?Q?Andr=E9?= Pirard" NIL "PIRARD" "vm1.ulg.ac.be")) (("=?utf-8?b?5bGx55Sw?=" NIL "yamada" "example.jp")("Plain Name" NIL "plain" "example.com")) NIL NIL NIL NIL)`,
		bodyStructure: `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL)`,
	}, {
		// RFC 5322 appendix A.1.3 group; sender and reply-to present.
		name:          "group addresses",
		msg:           msgGroups,
		envelope:      `(NIL "groups" (("Sender Person" NIL "sender" "example.com")) ((NIL NIL "secretary" "example.com")) ((NIL NIL "replies" "example.com")) ((NIL NIL "A Group" NIL)("Ed Jones" NIL "c" "a.test")(NIL NIL "joe" "where.test")("John" NIL "jdoe" "one.test")(NIL NIL NIL NIL)) ((NIL NIL "Undisclosed recipients" NIL)(NIL NIL NIL NIL)) (("Blind Person" NIL "bcc" "example.com")) NIL NIL)`,
		bodyStructure: `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL)`,
	}, {
		name:          "no header at all",
		msg:           msgNoHeaders,
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 31 1 NIL NIL NIL NIL)`,
	}, {
		// The declared boundary never occurs: Dovecot's empty part.
		name:          "broken boundary",
		msg:           msgBrokenBoundary,
		envelope:      `(NIL NIL ((NIL NIL "x" "example.com")) ((NIL NIL "x" "example.com")) ((NIL NIL "x" "example.com")) NIL NIL NIL NIL NIL)`,
		bodyStructure: `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "declared") NIL NIL NIL)`,
		body:          `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")`,
	}, {
		// Sizes are raw octets: "one\ntwo" is 7, "three" 5.
		name:          "bare LF",
		msg:           msgBareLF,
		envelope:      `(NIL "bare" ((NIL NIL "lf" "example.com")) ((NIL NIL "lf" "example.com")) ((NIL NIL "lf" "example.com")) NIL NIL NIL NIL NIL)`,
		bodyStructure: `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)`,
	}, {
		// Raw UTF-8 in headers: sent as literals (non-UTF8 encoder).
		name:          "8-bit headers",
		msg:           msg8bitHeaders,
		envelope:      "(NIL {17}\r\nGr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln (({13}\r\nJ\xc3\xb6rg M\xc3\xbcller NIL \"joerg\" \"example.de\")) (({13}\r\nJ\xc3\xb6rg M\xc3\xbcller NIL \"joerg\" \"example.de\")) (({13}\r\nJ\xc3\xb6rg M\xc3\xbcller NIL \"joerg\" \"example.de\")) ((NIL NIL \"x\" \"example.de\")) NIL NIL NIL NIL)",
		bodyStructure: `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 7 1 NIL NIL NIL NIL)`,
	}, {
		name:          "multipart/digest defaults to message/rfc822",
		msg:           crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody one\n--d--\n"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `(("message" "rfc822" NIL NIL NIL "7bit" 24 (NIL "one" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL) "digest" ("boundary" "d") NIL NIL NIL)`,
	}, {
		name:          "disposition, language, location, RFC 2231 parameter",
		msg:           crlf("Content-Type: text/plain; charset=\"utf-8\"; format=flowed\nContent-Disposition: inline; filename*=utf-8''na%C3%AFve.txt\nContent-Language: en, de\nContent-Location: http://example.com/x\n\nhi\n"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "7bit" 4 1 NIL ("inline" ("filename*" "utf-8''na%C3%AFve.txt")) ("en" "de") "http://example.com/x")`,
	}, {
		// Dovecot differential D6: a type without subtype is kept as
		// written, with an empty subtype (and lines when it is "text").
		name:          "content-type without subtype is kept",
		msg:           crlf("Content-Type: garbage\nContent-Transfer-Encoding: 8bit\n\nhi\n"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `("garbage" "" NIL NIL NIL "8bit" 4 NIL NIL NIL NIL)`,
	}, {
		name:          "content-type text without subtype is text",
		msg:           crlf("Content-Type: text\n\nhi\n"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `("text" "" ("charset" "us-ascii") NIL NIL "7bit" 4 1 NIL NIL NIL NIL)`,
	}, {
		name:          "malformed content-type has the empty type",
		msg:           crlf("Content-Type: text/plain/extra; charset=x\n\nhi\n"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `("" "" NIL NIL NIL "7bit" 4 NIL NIL NIL NIL)`,
	}, {
		name:          "multipart without subtype is an attachment",
		msg:           crlf("Content-Type: multipart\n\nhi\n"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `("application" "octet-stream" NIL NIL NIL "7bit" 4 NIL NIL NIL NIL)`,
	}, {
		// The unquoted boundary is "b" (RFC 2045 §5.1: "=" ends a token),
		// so "--b=1-- x" is no close delimiter; as the last line, without
		// line break, it starts no part (Dovecot's reading).
		name:          "delimiter line at the end of the message",
		msg:           crlf("Content-Type: multipart/related; boundary=b=1\n\n--b=1\n\nline one\n--b=1-- x"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 0 NIL NIL NIL NIL) "related" ("boundary" "b") NIL NIL NIL)`,
	}, {
		// D5: one empty part, the body unsplit.
		name:          "multipart without boundary has one empty part",
		msg:           crlf("Content-Type: multipart/mixed\n\n--x\n\nhi\n--x--\n"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" NIL NIL NIL NIL)`,
	}, {
		// D4: walked as a message over the encoded text, whose one line
		// is a header cut short by the boundary (its line break belongs
		// to the message/rfc822 part's body, not to the inner header).
		name:          "base64 message/rfc822 is walked as a message",
		msg:           crlf("Content-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQp5DQo=\n--z--\n"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `(("message" "rfc822" NIL NIL NIL "base64" 26 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) 1 NIL NIL NIL NIL) "mixed" ("boundary" "z") NIL NIL NIL)`,
	}, {
		// D7: Date, Subject, In-Reply-To and Message-ID as written:
		// white space after the colon skipped, line breaks removed, the
		// white space of a continuation line and trailing white space
		// kept (the subject's runs collapsed), as Dovecot sends them.
		name:          "fields folded right after the colon",
		msg:           crlf("Date:\n Thu, 5 Nov 2026 12:00:00 +0000\nSubject:\n folded   subject \nIn-Reply-To:   <irt@example.org>  \nMessage-ID:\n\t<tab@example.org>\nTo:\n b@example.org\n\nx\n"),
		envelope:      "(\" Thu, 5 Nov 2026 12:00:00 +0000\" \"folded subject\" NIL NIL NIL ((NIL NIL \"b\" \"example.org\")) NIL NIL \"<irt@example.org>  \" \"\t<tab@example.org>\")",
		bodyStructure: `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL)`,
	}, {
		name:          "address oddities",
		msg:           crlf("From: <>\nTo: undisclosed, <@route.example,@r2.example:user@example.com>, \"quoted \\\"name\\\"\" <q@example.com>\nCc: user@\nSubject:\n\n"),
		envelope:      `(NIL "" ((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) ((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) ((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) ((NIL NIL "undisclosed" "MISSING_DOMAIN")(NIL "@route.example,@r2.example" "user" "example.com")("quoted \"name\"" NIL "q" "example.com")) ((NIL NIL "user" "MISSING_DOMAIN")) NIL NIL NIL)`,
		bodyStructure: `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)`,
	}, {
		// Dovecot differential (frontend/testdata/dovediff): repeated
		// fields, the last wins; white space runs in the subject and in
		// display names collapse; Content-MD5 is body-fld-md5.
		name:          "repeated fields, folded subject, Content-MD5",
		msg:           crlf("MIME-Version: 1.0\nSubject: first\nSubject:  second\n  folded\there \nFrom: \"A  \tB\" <a@x>\nDate: one\nDate: two\nMessage-ID: <1@x>\nMessage-ID: <2@x>\nContent-MD5: Q2hlY2s=\n\nx"),
		envelope:      `("two" "second folded here" (("A B" NIL "a" "x")) (("A B" NIL "a" "x")) (("A B" NIL "a" "x")) NIL NIL NIL NIL "<2@x>")`,
		bodyStructure: `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 "Q2hlY2s=" NIL NIL NIL)`,
	}, {
		// RFC 2045 §4: without MIME-Version (or, for Dovecot, Content-Type)
		// a message's Content-* fields are not MIME and not reported.
		name:          "Content-* fields of a message that is not MIME",
		msg:           crlf("Subject: x\nContent-Transfer-Encoding: base64\nContent-ID: <x>\nContent-Disposition: attachment\nContent-Language: en\nContent-MD5: Q2hlY2s=\n\naGVsbG8=\n"),
		envelope:      `(NIL "x" NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)`,
	}, {
		name:          "Content-Type alone makes a message MIME",
		msg:           crlf("Content-Type: text/plain\nContent-Transfer-Encoding: base64\nContent-ID: <x>\n\naGVsbG8=\n"),
		envelope:      `(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)`,
		bodyStructure: `("text" "plain" ("charset" "us-ascii") "<x>" NIL "base64" 10 1 NIL NIL NIL NIL)`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := analyze(t, tc.msg)
			if got := string(m.Envelope); got != tc.envelope {
				t.Errorf("ENVELOPE\n got %s\nwant %s", got, tc.envelope)
			}
			if got := string(m.BodyStructure); got != tc.bodyStructure {
				t.Errorf("BODYSTRUCTURE\n got %s\nwant %s", got, tc.bodyStructure)
			}
			if tc.body != "" && string(m.Body) != tc.body {
				t.Errorf("BODY\n got %s\nwant %s", m.Body, tc.body)
			}
			if m.Size != uint64(len(tc.msg)) {
				t.Errorf("Size = %d, want %d", m.Size, len(tc.msg))
			}
			checkTree(t, m, int64(len(tc.msg)))
		})
	}
}

// checkTree asserts the MimePart invariants: everything within the
// message, body right after header, children inside their parent's body.
func checkTree(t testing.TB, m *metadatapb.MessageMeta, size int64) {
	t.Helper()
	var walk func(p *metadatapb.MimePart, lo, hi uint64, depth int)
	walk = func(p *metadatapb.MimePart, lo, hi uint64, depth int) {
		if p == nil {
			return
		}
		if depth > maxDepth+2 {
			t.Fatalf("tree deeper than maxDepth")
		}
		if p.HeaderOffset < lo || p.HeaderOffset+p.HeaderLength != p.BodyOffset || p.BodyOffset+p.BodyLength > hi {
			t.Fatalf("part %+v outside [%d,%d]", p, lo, hi)
		}
		for _, c := range p.Children {
			walk(c, p.BodyOffset, p.BodyOffset+p.BodyLength, depth+1)
		}
		walk(p.Message, p.BodyOffset, p.BodyOffset+p.BodyLength, depth+1)
	}
	if m.Part == nil || m.Part.HeaderOffset != 0 {
		t.Fatalf("root part %+v", m.Part)
	}
	walk(m.Part, 0, uint64(size), 0)
}

func TestAnalyzeOffsets(t *testing.T) {
	m := analyze(t, msgNested)
	raw := msgNested
	at := func(p *metadatapb.MimePart) (string, string) {
		return raw[p.HeaderOffset : p.HeaderOffset+p.HeaderLength], raw[p.BodyOffset : p.BodyOffset+p.BodyLength]
	}
	root := m.Part
	if h, _ := at(root); h != string(m.Header) || !strings.HasSuffix(h, "\r\n\r\n") || !strings.HasPrefix(h, "From: fwd@") {
		t.Errorf("root header %q vs stored %q", h, m.Header)
	}
	if len(root.Children) != 2 {
		t.Fatalf("children = %d", len(root.Children))
	}
	if h, b := at(root.Children[0]); h != "Content-Type: text/plain\r\n\r\n" || b != "see below" {
		t.Errorf("part 1 = %q %q", h, b)
	}
	rfc := root.Children[1]
	if rfc.ContentType != "message/rfc822" || rfc.Message == nil || rfc.Lines != 15 {
		t.Fatalf("part 2 = %+v", rfc)
	}
	start := strings.Index(raw, "From: orig@")
	// The inner multipart's close delimiter line, its line break
	// included, ends the part (D2 in DIFFERENCES.md).
	end := strings.Index(raw, "--y--\r\n") + len("--y--\r\n")
	if _, b := at(rfc); b != raw[start:end] {
		t.Errorf("part 2 body = %q", b)
	}
	inner := rfc.Message
	if h, _ := at(inner); !strings.HasPrefix(h, "From: orig@") || !strings.HasSuffix(h, "boundary=\"y\"\r\n\r\n") {
		t.Errorf("inner header = %q", h)
	}
	if inner.ContentType != "multipart/alternative" || len(inner.Children) != 2 {
		t.Fatalf("inner = %+v", inner)
	}
	if _, b := at(inner.Children[1]); b != "<b>hi</b> there" {
		t.Errorf("2.2 body = %q", b)
	}
}

func TestAnalyzeDecodedFields(t *testing.T) {
	m := analyze(t, msgEncodedWords)
	if m.Subject != "If you can read this you understand the example." {
		t.Errorf("Subject = %q", m.Subject)
	}
	if m.From != "André Pirard <PIRARD@vm1.ulg.ac.be>" {
		t.Errorf("From = %q", m.From)
	}
	if m.To != "山田 <yamada@example.jp>, Plain Name <plain@example.com>" {
		t.Errorf("To = %q", m.To)
	}
	want := time.Date(2025, 4, 4, 9, 15, 0, 0, time.FixedZone("", 3600))
	if m.SentDate != want.Unix() || m.SentDateZone != 3600 {
		t.Errorf("SentDate = %d %d, want %d 3600", m.SentDate, m.SentDateZone, want.Unix())
	}

	m = analyze(t, msgMixed)
	if m.MessageId != "mixed1@example.com" || m.InReplyTo != "prev@example.com" {
		t.Errorf("ids = %q %q", m.MessageId, m.InReplyTo)
	}
	if strings.Join(m.References, " ") != "root@example.com prev@example.com" {
		t.Errorf("References = %q", m.References)
	}
	if m.Cc != "Dave <dave@example.com>" || m.To != "bob@example.com, carol@example.com" {
		t.Errorf("To/Cc = %q / %q", m.To, m.Cc)
	}

	m = analyze(t, msg8bitHeaders)
	if m.Subject != "Grüße aus Köln" || m.From != "Jörg Müller <joerg@example.de>" {
		t.Errorf("8-bit: %q %q", m.Subject, m.From)
	}
	m = analyze(t, crlf("Subject: caf\xe9\nDate: not a date\n\n"))
	if m.Subject != "café" || m.SentDate != 0 {
		t.Errorf("latin-1 subject %q, bad date %d", m.Subject, m.SentDate)
	}
	m = analyze(t, msgGroups)
	if m.SentDate != 0 || m.Subject != "groups" {
		t.Errorf("no date: %d", m.SentDate)
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // RFC 3339, "" for unparseable
	}{
		{"Mon, 7 Feb 1994 21:52:25 -0800 (PST)", "1994-02-07T21:52:25-08:00"},
		{"7 Feb 1994 21:52:25 -0800", "1994-02-07T21:52:25-08:00"},
		{"Mon, 7 Feb 1994 21:52 -0800", "1994-02-07T21:52:00-08:00"},
		{"Mon, 07 Feb 94 21:52:25 GMT", "1994-02-07T21:52:25Z"},
		{"Mon Feb  7 21:52:25 1994", "1994-02-07T21:52:25Z"},
		{"yesterday", ""},
		{"", ""},
	} {
		got, ok := parseDate(tc.in)
		if tc.want == "" {
			if ok {
				t.Errorf("parseDate(%q) = %v, want failure", tc.in, got)
			}
			continue
		}
		if !ok || got.Format(time.RFC3339) != tc.want {
			t.Errorf("parseDate(%q) = %v %v, want %s", tc.in, got, ok, tc.want)
		}
	}
}

func TestAnalyzePreview(t *testing.T) {
	long := strings.Repeat("word ", 100)
	for _, tc := range []struct{ name, msg, want string }{
		{"plain", msgSimple, "Hello Joe, do you think we can meet at 3:30 tomorrow?"},
		{"quoted-printable utf-8, html alternative ignored", msgAlternative, "Café at noon? See you."},
		{"attachment skipped", msgMixed, "See attached."},
		{"latin-1 quoted-printable", msgBinary, "Grüße, soft break"},
		{"html only", crlf("Content-Type: text/html; charset=utf-8\n\n<html><head><style>p{}</style></head><body><p>Caf&eacute;&nbsp;<b>now</b></p></body></html>\n"), "Café now"},
		{"base64", crlf("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSGVsbG8s\nIHdvcmxkIQ==\n"), "Hello, world!"},
		{"truncated to 200", crlf("\n" + long + "\n"), strings.TrimSpace(strings.Repeat("word ", 40))},
		{"no text part", crlf("Content-Type: image/png\nContent-Transfer-Encoding: base64\n\nAAAA\n"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := analyze(t, tc.msg).Preview; got != tc.want {
				t.Errorf("Preview = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAnalyzeLimits(t *testing.T) {
	// Nesting past maxDepth: the innermost levels become text/plain.
	var b strings.Builder
	for i := 0; i < maxDepth+10; i++ {
		b.WriteString("Content-Type: multipart/mixed; boundary=b" + string(rune('a'+i%26)) + strings.Repeat("x", i) + "\r\n\r\n--b" + string(rune('a'+i%26)) + strings.Repeat("x", i) + "\r\n")
	}
	b.WriteString("\r\nbottom\r\n")
	m := analyze(t, b.String())
	checkTree(t, m, int64(b.Len()))
	depth := 0
	for p := m.Part; len(p.Children) > 0; p = p.Children[0] {
		depth++
	}
	if depth != maxDepth {
		t.Errorf("depth = %d, want %d", depth, maxDepth)
	}

	// More parts than maxParts: the rest are skipped.
	b.Reset()
	b.WriteString("Content-Type: multipart/mixed; boundary=p\r\n\r\n")
	for i := 0; i < maxParts+5; i++ {
		b.WriteString("--p\r\n\r\nx\r\n")
	}
	b.WriteString("--p--\r\n")
	m = analyze(t, b.String())
	if n := len(m.Part.Children); n != maxParts-1 { // the root counts too
		t.Errorf("children = %d, want %d", n, maxParts-1)
	}
	if m.Part.BodyOffset+m.Part.BodyLength != uint64(b.Len()) {
		t.Errorf("skipped parts are not inside the multipart body")
	}
	checkTree(t, m, int64(b.Len()))
}

type failingReaderAt struct{ err error }

func (f failingReaderAt) ReadAt([]byte, int64) (int, error) { return 0, f.err }

func TestAnalyzeIOError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := Analyze(failingReaderAt{boom}, 100); !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	// A reader shorter than the declared size.
	if _, err := Analyze(bytes.NewReader([]byte("abc")), 10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short reader: err = %v", err)
	}
	m, err := Analyze(bytes.NewReader(nil), 0)
	if err != nil || m.Size != 0 || string(m.BodyStructure) != `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)` {
		t.Errorf("empty message: %v %s", err, m.GetBodyStructure())
	}
}

// One encoded word in an unknown charset leaves the others decoded (found
// by the Dovecot differential: SEARCH SUBJECT missed the message).
func TestDecodeTextUnknownCharset(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=?UTF-8?Q?Caf=C3=A9?= =?UTF-8?Q?_cr=C3=A8me?= and =?bogus?Q?x?= plain", "Café crème and =?bogus?Q?x?= plain"},
		{"=?bogus?Q?x?= =?UTF-8?Q?=C3=A9?=", "=?bogus?Q?x?= é"},
		{"=?UTF-8?Q?a?=  =?UTF-8?Q?b?=", "ab"},
		{"no words", "no words"},
	} {
		if got := decodeText(tc.in); got != tc.want {
			t.Errorf("decodeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRawValue pins the unparsed field values sent in ENVELOPE and
// BODYSTRUCTURE, as Dovecot 2.3.19 sends them (DIFFERENCES.md D7).
func TestRawValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{" <a@b>", "<a@b>"},
		{"   <a@b>   ", "<a@b>   "},
		{"\r\n <a@b>", " <a@b>"},
		{"\r\n\t<a@b>", "\t<a@b>"},
		{" ", ""},
		{"  ", " "},
		{"   ", "  "},
		{"\t", ""},
		{"", ""},
		{" \r\n x", " x"},
		{"  \r\n\t", " \t"},
		{"x", "x"},
		{" a\x00b\r\n", "ab"},
	} {
		if got := rawValue([]byte(tc.in)); got != tc.want {
			t.Errorf("rawValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
