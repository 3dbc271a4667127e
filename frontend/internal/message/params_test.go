package message

import (
	"fmt"
	"testing"
)

func TestParseParamField(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`text/plain`, `text/plain []`},
		{`TEXT/PLAIN; CHARSET=US-ASCII`, `text/plain [{charset US-ASCII}]`},
		{`multipart/mixed; boundary="simple boundary"`, `multipart/mixed [{boundary simple boundary}]`},
		// Unquoted tspecials, as some mailers send them.
		{`multipart/alternative; boundary=----=_Part_0_1.2`, `multipart/alternative [{boundary ----=_Part_0_1.2}]`},
		{`application/pdf; name=my file.pdf`, `application/pdf [{name my file.pdf}]`},
		{`text/plain; charset=us-ascii (Plain text); format=flowed`, `text/plain [{charset us-ascii} {format flowed}]`},
		{`text/plain; charset="a;b\"c"; x=1;`, `text/plain [{charset a;b"c} {x 1}]`},
		{`text/plain; noequals; charset=x`, `text/plain [{charset x}]`},
		{`text/plain; charset=a; charset=b`, `text/plain [{charset a}]`},
		// RFC 2231 §3 continuations, §4 charsets, §4.1 both, merged as
		// RFC 9051 §7.5.2 asks: "baz*0" "baz*1" → "baz", extended → "foo*"
		// (still extended syntax); plain parameters first, then these by name.
		{`message/external-body; access-type=URL; URL*0="ftp://"; URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"`,
			`message/external-body [{access-type URL} {url ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar}]`},
		{`application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A`, `application/x-stuff [{title* us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A}]`},
		{`application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2="isn't it!"`,
			`application/x-stuff [{title* us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!}]`},
		{`attachment; filename*=iso-8859-1''na%EFve.txt; filename="naive.txt"`, `attachment [{filename naive.txt} {filename* iso-8859-1''na%EFve.txt}]`},
		{`attachment; filename*=utf-8''%E2%82%AC.txt`, `attachment [{filename* utf-8''%E2%82%AC.txt}]`},
		{`attachment; filename*1*=b; filename*0*=utf-8''a`, `attachment [{filename* utf-8''ab}]`},
		{`attachment; z*0=a; b=1; y*=x; a=2`, `attachment [{b 1} {a 2} {y* x} {z a}]`},
		// A gap or a repeated section ends the value; a bad number drops
		// the section.
		{`attachment; f*0=a; f*2=c`, `attachment [{f a}]`},
		{`attachment; f*0=a; f*0=b; f*1=c`, `attachment [{f a}]`},
		{`attachment; f*x=a; *0=b; f*1*=c`, `attachment []`},
		{``, ` []`},
	} {
		v, ps := parseParamField(tc.in)
		if got := fmt.Sprintf("%s %v", v, ps); got != tc.want {
			t.Errorf("parseParamField(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestContentTypeFallbacks(t *testing.T) {
	for _, tc := range []struct{ ct, want string }{
		{"text/html", "text/html"},
		{"garbage", "text/plain"},
		{"text/", "text/plain"},
		{"/plain", "text/plain"},
		{"te xt/plain", "text/plain"},
		{"image/png; name=x", "image/png"},
	} {
		m := analyze(t, "Content-Type: "+tc.ct+"\r\n\r\nx")
		if m.Part.ContentType != tc.want {
			t.Errorf("Content-Type %q -> %q, want %q", tc.ct, m.Part.ContentType, tc.want)
		}
	}
}
