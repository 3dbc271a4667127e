package message

import (
	"strings"
	"testing"
)

// TestParseAddressList pins the envelope addresses of well-formed and
// malformed address lists. Every expectation of the malformed cases is
// what Dovecot 2.3.19 sends for the same field (checked by hand against
// /usr/lib/dovecot/imap; the differential test checks the edge-case files
// in frontend/testdata/dovediff on every run).
func TestParseAddressList(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`a@b.c`, `(NIL NIL "a" "b.c")`},
		{`John Doe <jdoe@machine.example>`, `("John Doe" NIL "jdoe" "machine.example")`},
		{`"Joe Q. Public" <john.q.public@example.com>`, `("Joe Q. Public" NIL "john.q.public" "example.com")`},
		{`Joe Q. Public <john.q.public@example.com>`, `("Joe Q. Public" NIL "john.q.public" "example.com")`},
		{`Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>`, `("Mary Smith" NIL "mary" "x.test")(NIL NIL "jdoe" "example.org")("Who?" NIL "one" "y.test")`},
		{`<boss@nil.test>, "Giant; \"Big\" Box" <sysservices@example.net>`, `(NIL NIL "boss" "nil.test")("Giant; \"Big\" Box" NIL "sysservices" "example.net")`},
		// RFC 5322 appendix A.5: comments and folding white space.
		{`Pete(A nice \) chap) <pete(his account)@silly.test(his host)>`, `("Pete" NIL "pete" "silly.test")`},
		{`a@b.c (Name In Comment)`, `("Name In Comment" NIL "a" "b.c")`},
		{`a@b.c (one) (two)`, `("two" NIL "a" "b.c")`},
		{`<a@b.c> (Comment)`, `(NIL NIL "a" "b.c")`},
		{`"john doe"@example.com`, `(NIL NIL "john doe" "example.com")`},
		{`user@[192.0.2.1]`, `(NIL NIL "user" "[192.0.2.1]")`},
		{`=?utf-8?q?J=C3=B6rg?= <j@x.de>, =?utf-8?q?a?= =?utf-8?q?b?= <ab@x.de>`, `("=?utf-8?q?J=C3=B6rg?=" NIL "j" "x.de")("=?utf-8?q?a?= =?utf-8?q?b?=" NIL "ab" "x.de")`},
		{`"A   B" <a@b.c>`, `("A B" NIL "a" "b.c")`},
		{`<@r1.test,@r2.test:u@h.test>`, `(NIL "@r1.test,@r2.test" "u" "h.test")`},
		// Groups (RFC 5322 §3.4): start (mailbox = name, host NIL) and end.
		{`team: a@b.c, Name <d@e.f>;, after@x.y`, `(NIL NIL "team" NIL)(NIL NIL "a" "b.c")("Name" NIL "d" "e.f")(NIL NIL NIL NIL)(NIL NIL "after" "x.y")`},
		{`unterminated group: a@b.c`, `(NIL NIL "unterminated group" NIL)(NIL NIL "a" "b.c")(NIL NIL NIL NIL)`},
		{`Group: a@example.org; c@example.org`, `(NIL NIL "Group" NIL)(NIL NIL "a" "example.org")(NIL NIL NIL NIL)`},
		{`Group:;`, `(NIL NIL "Group" NIL)(NIL NIL NIL NIL)`},
		{`:;`, `(NIL NIL "" NIL)(NIL NIL NIL NIL)`},
		{`Group: "x" <x@y>, ; , z@w;`, `(NIL NIL "Group" NIL)("x" NIL "x" "y")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL NIL NIL)(NIL NIL "z" "w")`},
		// Malformed lists, read as Dovecot reads them: up to the first
		// address not followed by a comma, with placeholders.
		{`,, ; broken <@>, <no-domain>, just-a-word`, `(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`a@b.c,,, ,d@e.f,`, `(NIL NIL "a" "b.c")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "d" "e.f")`},
		{`just-a-word`, `(NIL NIL "just-a-word" "MISSING_DOMAIN")`},
		{`<no-domain>`, `(NIL NIL "no-domain" "MISSING_DOMAIN")`},
		{`broken <@>, <>`, `("broken" "INVALID_ROUTE" "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`<@r1.test u@h.test>`, `(NIL "INVALID_ROUTE" "u" "h.test")`},
		{`"unbalanced <a@example.org>`, `(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`Unclosed <a@b.c`, `("Unclosed" NIL "a" "SYNTAX_ERROR")`},
		{`Name a@example.org>`, `("Name a" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`<a@example.org> trailing words`, `(NIL NIL "a" "example.org")`},
		{`@example.org`, `(NIL NIL "MISSING_MAILBOX" "example.org")`},
		{`a@`, `(NIL NIL "a" "MISSING_DOMAIN")`},
		{`Name <>`, `("Name" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`a@b@c`, `(NIL NIL "a" "b")`},
		{`a.b.@example.org`, `(NIL NIL "a.b." "example.org")`},
		{`a .b@c.d`, `(NIL NIL "a.b" "c.d")`},
		{`a. b@c.d`, `("a. b" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`a . b @ c . d`, `("a. b" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`a.(c)b@c.d`, `("a. b" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`"q". b@c.d`, `("q" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`a@b. c`, `(NIL NIL "a" "b.c")`},
		{`a@b .c`, `(NIL NIL "a" "b.c")`},
		{`a@ b`, `(NIL NIL "a" "b")`},
		{`a@b.`, `(NIL NIL "a" "MISSING_DOMAIN")`},
		{`a@b. `, `(NIL NIL "a" "MISSING_DOMAIN")`},
		{`a@b..c`, `(NIL NIL "a" "MISSING_DOMAIN")`},
		{`a@b.(x)`, `("x" NIL "a" "MISSING_DOMAIN")`},
		{`a@.b`, `(NIL NIL "a" "MISSING_DOMAIN")`},
		{`<a@b.>`, `(NIL NIL "a" "SYNTAX_ERROR")`},
		{`a@b.c, d@e.`, `(NIL NIL "a" "b.c")(NIL NIL "d" "MISSING_DOMAIN")`},
		{`Name . Dot <x@y>`, `("Name . Dot" NIL "x" "y")`},
		{`a@b.c (unterminated`, `(NIL NIL "a" "MISSING_DOMAIN")`},
		{`user@[192.0.2.1`, `(NIL NIL "user" "MISSING_DOMAIN")`},
		{`a@[1.2 .3]`, `(NIL NIL "a" "[1.2 .3]")`},
		{`a@[a[b]`, `(NIL NIL "a" "MISSING_DOMAIN")`},
		{`a@[a\]b]`, `(NIL NIL "a" "[a\\]b]")`},
		{`a@[1.2.3.4] (c)`, `("c" NIL "a" "[1.2.3.4]")`},
		{`J.`, `(NIL NIL "J." "MISSING_DOMAIN")`},
		{`< . `, `(NIL NIL "MISSING_MAILBOX" "SYNTAX_ERROR")`},
		{`""`, `("" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`"" <>`, `(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`"" <empty@example.org>`, `(NIL NIL "empty" "example.org")`},
		{`(only comment)`, ``},
		{``, ``},
		{`   `, ``},
	} {
		r := getRender()
		for _, a := range parseAddressList(tc.in) {
			r.addrList([]addr{a})
		}
		got := string(r.bytes())
		putRender(r)
		// addrList wraps each in a list of one; unwrap for the table.
		got = strings.ReplaceAll(strings.ReplaceAll(got, "((", "("), "))", ")")
		if got != tc.want {
			t.Errorf("parseAddressList(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}
