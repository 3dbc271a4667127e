package search

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/proto/metadatapb"
)

// b64 encodes s as a MIME base64 body: lines of 76 characters.
func b64(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.String()
}

var (
	// Plain UTF-8 message with encoded-word headers and several received lines.
	raw1 = crlf(`Date: Mon, 23 Nov 2026 10:00:00 +0100
From: "Doe, John" <john@example.com>
To: Alice =?ISO-8859-1?Q?J=F6rgensen?= <alice@example.org>, bob@example.net
Cc: carol@example.com
Bcc: secret@example.com
Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=
Received: from a.example by b.example
Received: from c.example by d.example; folded
 continuation-marker
X-Empty:
Message-ID: <m1@example.com>
Content-Type: text/plain; charset=utf-8

Hello World, this is the first message.
Straße and the Kelvin sign: 5 ` + "\u212a" + `.
`)

	// multipart/mixed: alternative (QP Latin-1 text, base64 UTF-8 HTML)
	// and a PDF attachment whose bytes must never be searched.
	raw2 = crlf(`From: Bob <bob@example.net>
To: john@example.com
Subject: Dessert
Content-Type: multipart/mixed; boundary="outer"

This is the preamble: preamble-word.
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=ISO-8859-1
Content-Transfer-Encoding: quoted-printable

Caf=E9 cr=E8me br=FBl=E9e is d=
elicious.
--inner
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

`) + b64("<p>\u00dcn\u00efc\u00f6d\u00e9 <b>HTML</b> part with needle-in-html</p>") + crlf(`--inner--
--outer
Content-Type: application/pdf

%PDF secretword inside the attachment
--outer--
epilogue-word
`)

	// A forwarded message as message/rfc822 with a base64 inner body.
	raw3 = crlf(`From: forwarder@example.com
Subject: Fwd: something
Content-Type: message/rfc822

From: inner@example.com
Subject: Inner subject zebra
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

`) + b64("Encapsulated giraffe text")

	// No MIME headers at all, a folded subject and no Date:.
	raw4 = crlf(`From: plain@example.com
Subject: A folded
 subject line
X-Custom: Value With Spaces

Plain body without mime; raw ` + "\u00fc" + `nicode and the word omega.
`)
)

// corpus is the set of messages most table tests run over.
type corpus struct {
	msgs   []*Message
	bodies *memBodies
	now    time.Time
}

func unix(y int, mo time.Month, d, h, mi int, zone int) int64 {
	return time.Date(y, mo, d, h, mi, 0, 0, time.FixedZone("", zone)).Unix()
}

func newCorpus(t testing.TB) *corpus {
	m1 := testMessage(t, "blob1", raw1)
	// 2026-11-23 23:30 UTC is already the 24th in its own zone (+01:00).
	m1.InternalDate, m1.InternalDateZone = unix(2026, 11, 23, 23, 30, 0), 3600
	m1.SentDate, m1.SentDateZone = unix(2026, 11, 23, 10, 0, 3600), 3600
	m1.SaveDate = unix(2026, 11, 25, 12, 0, 0)

	m2 := testMessage(t, "blob2", raw2)
	m2.InternalDate, m2.InternalDateZone = unix(2026, 11, 20, 8, 0, -5*3600), -5*3600
	m2.SentDate, m2.SentDateZone = unix(2026, 11, 19, 23, 0, -5*3600), -5*3600
	m2.SaveDate = unix(2026, 11, 20, 13, 0, 0)

	m3 := testMessage(t, "blob3", raw3)
	m3.InternalDate = unix(2026, 1, 1, 0, 0, 0)
	m3.SentDate = unix(2025, 12, 31, 0, 0, 0)
	// No save date: SAVED* fall back to the internal date.

	m4 := testMessage(t, "blob4", raw4)
	m4.Part = nil // no stored MIME tree: body search falls back to text/plain
	m4.InternalDate, m4.InternalDateZone = unix(2026, 11, 25, 9, 0, 0), 0
	m4.SaveDate = unix(2026, 11, 25, 9, 0, 0)
	// No Date: header: SENT* fall back to the internal date.

	return &corpus{
		msgs: []*Message{
			{UID: 1, ModSeq: 10, Flags: []string{`\Seen`, "$Forwarded"}, Meta: m1},
			{UID: 2, ModSeq: 20, Flags: []string{`\Flagged`}, Meta: m2},
			{UID: 3, ModSeq: 30, Meta: m3},
			{UID: 4, ModSeq: 40, Flags: []string{`\seen`, "Work"}, Meta: m4},
		},
		bodies: newMemBodies(map[*metadatapb.MessageMeta]string{m1: raw1, m2: raw2, m3: raw3, m4: raw4}),
		now:    time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
	}
}
