package message

import "strings"

// crlf turns the LF line ends of a test literal into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// Real-world-shaped messages shared by the tests.
var (
	msgSimple = crlf(`Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)
From: Fred Foobar <foobar@Blurdybloop.example>
Subject: afternoon meeting
To: mooch@owatagu.siam.edu.example
Message-Id: <B27397-0100000@Blurdybloop.example>
MIME-Version: 1.0
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII

Hello Joe, do you think we can meet at 3:30 tomorrow?
`)

	msgAlternative = crlf(`From: "Doe, Jane" <jane@example.org>
To: bob@example.com
Subject: plans
Date: Tue, 1 Apr 2025 10:00:00 +0200
Message-ID: <alt1@example.org>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="==alt=="

--==alt==
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9 at  noon?
See you.
--==alt==
Content-Type: text/html; charset=utf-8

<html><head><title>x</title></head><body><p>Caf&eacute; at noon?</p></body></html>
--==alt==--
`)

	msgMixed = crlf(`From: alice@example.com
To: bob@example.com, carol@example.com
Cc: "Dave" <dave@example.com>
Subject: report
Date: Wed, 2 Apr 2025 08:30:00 +0000
Message-ID: <mixed1@example.com>
In-Reply-To: <prev@example.com>
References: <root@example.com> <prev@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

This is a multi-part message in MIME format.
--outer
Content-Type: text/plain; charset=us-ascii

See attached.
--outer
Content-Type: application/pdf; name="report.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="report.pdf"
Content-ID: <part2@example.com>
Content-Description: The report

JVBERi0xLjQK
JSVFT0YK
--outer--
`)

	msgNested = crlf(`From: fwd@example.com
To: you@example.com
Subject: Fwd: hello
Date: Thu, 3 Apr 2025 12:00:00 -0500
Content-Type: multipart/mixed; boundary="x"

--x
Content-Type: text/plain

see below
--x
Content-Type: message/rfc822

From: orig@example.com
To: fwd@example.com
Subject: hello
Date: Thu, 3 Apr 2025 11:00:00 -0500
Content-Type: multipart/alternative; boundary="y"

--y
Content-Type: text/plain

hi there
--y
Content-Type: text/html

<b>hi</b> there
--y--
--x--
`)

	msgEncodedWords = crlf(`From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>
To: =?utf-8?b?5bGx55Sw?= <yamada@example.jp>, "Plain Name" <plain@example.com>
Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=
 =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=
Date: 4 Apr 2025 09:15 +0100

body
`)

	msgGroups = crlf(`From: Sender Person <sender@example.com>
Sender: secretary@example.com
Reply-To: replies@example.com
To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;
Cc: Undisclosed recipients:;
Bcc: (comment only) bcc@example.com (Blind Person)
Subject: groups

x
`)

	msgNoHeaders = "\r\njust a body, no header at all\r\n"

	msgBrokenBoundary = crlf(`From: x@example.com
Content-Type: multipart/mixed; boundary="declared"

--other
Content-Type: text/plain

never delimited
--other--
`)

	msgBareLF = "From: lf@example.com\nSubject: bare\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\none\ntwo\n--b\nContent-Type: text/plain\n\nthree\n--b--\n"

	msg8bitHeaders = "From: J\xc3\xb6rg M\xc3\xbcller <joerg@example.de>\r\nSubject: Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\r\nTo: x@example.de\r\n\r\nHallo\r\n"

	msgBinary = crlf(`From: bin@example.com
Content-Type: multipart/mixed; boundary=B

--B
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe, soft=
 break
--B
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

SGVsbG8s
IHdvcmxkIQ==
--B
Content-Type: application/octet-stream
Content-Transfer-Encoding: x-uuencode

begin 644 x
--B
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

QQ
--B
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

QUJDR
--B
Content-Type: text/plain
Content-Transfer-Encoding: quoted-printable

bad =ZZ escape
--B--
`)
)
