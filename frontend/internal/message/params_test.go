package message

import (
	"fmt"
	"testing"
)

// TestParseContentType pins how Content-Type values are read. The
// expectations of malformed values are what Dovecot 2.3.19 reports for the
// same field (checked by hand against /usr/lib/dovecot/imap; the
// differential test covers frontend/testdata/dovediff/*.eml on every run).
func TestParseContentType(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`text/plain`, `text/plain []`},
		{`TEXT/PLAIN; CHARSET=US-ASCII`, `text/plain [{charset US-ASCII}]`},
		{`multipart/mixed; boundary="simple boundary"`, `multipart/mixed [{boundary simple boundary}]`},
		{`text /plain`, `text/plain []`},
		{`text/ plain`, `text/plain []`},
		{`application/vnd.ms-excel`, `application/vnd.ms-excel []`},
		// '=' is a tspecial (RFC 2045 §5.1): an unquoted boundary ends there.
		{`multipart/alternative; boundary=----=_Part_0_1.2`, `multipart/alternative [{boundary ----}]`},
		{`application/pdf; name=my file.pdf`, `application/pdf [{name my}]`},
		{`text/plain; charset=us-ascii (Plain text); format=flowed`, `text/plain [{charset us-ascii} {format flowed}]`},
		{`text/plain; charset=utf-8 junk; format=flowed`, `text/plain [{charset utf-8} {format flowed}]`},
		{`text/plain; charset="a;b\"c"; x=1;`, `text/plain [{charset a;b"c} {x 1}]`},
		{`image/png; name="a;b"; x=y`, `image/png [{name a;b} {x y}]`},
		// A parameter without '=' spoils the rest up to the next ';' after it.
		{`application/x; param; p2=v`, `application/x []`},
		{`text/plain;;charset=x;`, `text/plain []`},
		{`text/html; =v; a=`, `text/html [{ v} {a }]`},
		{`text/plain; charset="unterminated`, `text/plain []`},
		// Malformed types: a lone type keeps its name; anything else is
		// the empty type.
		{`text`, `text/ []`},
		{`garbage`, `garbage/ []`},
		{`multipart`, `multipart/ []`},
		{``, `/ []`},
		{`text/`, `/ []`},
		{`/plain`, `/ []`},
		{`text/plain/extra`, `/ []`},
		{`"text/plain"`, `/ []`},
		{`te(comment)xt/html; charset=x`, `/ []`},
		{`text/html charset=x`, `/ []`},
		{`;charset=x`, `/ []`},
		{`TEXT; charset=x`, `/ []`},
		{`text/pl@in; charset=x`, `/ []`},
		{`text/;charset=x`, `/ []`},
		{`message/rfc822x`, `message/rfc822x []`},
		{`boundary(u`, `boundary/ []`},
		{`text(c)`, `text/ []`},
		{`text/plain(u`, `/ []`},
		{`text/plain (c)`, `text/plain []`},
		{`text/plain(c)x`, `/ []`},
		{`text /(u`, `/ []`},
	} {
		mt := parseContentType(tc.in)
		if got := fmt.Sprintf("%s/%s %v", mt.typ, mt.sub, mt.params); got != tc.want {
			t.Errorf("parseContentType(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

// TestParseParams covers parameter lists and the RFC 2231 merge, as RFC
// 9051 §7.5.2 asks and Dovecot answers: continuations "baz*0", "baz*1"
// become "baz"; extended ones become "foo*" still in extended syntax;
// plain parameters first, duplicates kept, then the RFC 2231 ones by name;
// a continuation with a gap or a repeated section is listed section by
// section.
func TestParseParams(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`attachment`, `attachment []`},
		{`inline; filename="a b.txt"`, `inline [{filename a b.txt}]`},
		{`attachment; charset=a; charset=b`, `attachment [{charset a} {charset b}]`},
		{`attachment; access-type=URL; URL*0="ftp://"; URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"`,
			`attachment [{access-type URL} {url ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar}]`},
		{`attachment; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A`, `attachment [{title* us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A}]`},
		{`attachment; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2="isn't it!"`,
			`attachment [{title* us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!}]`},
		{`attachment; filename*=iso-8859-1''na%EFve.txt; filename="naive.txt"`, `attachment [{filename naive.txt} {filename* iso-8859-1''na%EFve.txt}]`},
		{`attachment; filename*1*=b; filename*0*=utf-8''a`, `attachment [{filename* utf-8''ab}]`},
		{`attachment; z*0=a; b=1; y*=x; a=2`, `attachment [{b 1} {a 2} {y* x} {z a}]`},
		// A plain first section of an extended value gets an empty
		// charset and language, and its '%' is escaped.
		{`attachment; a*0=x%y; a*1*=z`, `attachment [{a* ''x%25yz}]`},
		{`attachment; f*0=a; f*2=c`, `attachment [{f*0 a} {f*2 c}]`},
		{`attachment; f*0=a; f*0=b; f*1=c`, `attachment [{f*0 a} {f*0 b} {f*1 c}]`},
		{`attachment; f*x=a; *0=b; f*1*=c`, `attachment [{f*x a} { b} {f*1* c}]`},
		// An unquoted encoded word after '=' runs to white space or ';'.
		{`attachment; name==?utf-8?b?w6k=?= x; other=1`, `attachment [{name =?utf-8?b?w6k=?=} {other 1}]`},
		{`attachment; p=v (comment); q="x\"y"`, `attachment [{p v} {q x"y}]`},
		{``, ` []`},
	} {
		d, ps, ok := parseDisposition(tc.in)
		if got := fmt.Sprintf("%s %v", d, ps); !ok || got != tc.want {
			t.Errorf("parseDisposition(%q)\n got %s (ok %v)\nwant %s", tc.in, got, ok, tc.want)
		}
	}
	if _, _, ok := parseDisposition("attachment (unterminated"); ok {
		t.Errorf("a disposition type followed by an unclosed comment parsed")
	}
}
