package message

import (
	"strings"
	"testing"
)

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
		{`"john doe"@example.com`, `(NIL NIL "john doe" "example.com")`},
		{`user@[192.0.2.1]`, `(NIL NIL "user" "[192.0.2.1]")`},
		{`=?utf-8?q?J=C3=B6rg?= <j@x.de>`, `("=?utf-8?q?J=C3=B6rg?=" NIL "j" "x.de")`},
		{`a@b.c,,, ,d@e.f,`, `(NIL NIL "a" "b.c")(NIL NIL "d" "e.f")`},
		{`Unclosed <a@b.c`, `("Unclosed" NIL "a" "b.c")`},
		{`<@r1.test,@r2.test:u@h.test>`, `(NIL "@r1.test,@r2.test" "u" "h.test")`},
		{`team: a@b.c, Name <d@e.f>;, after@x.y`, `(NIL NIL "team" NIL)(NIL NIL "a" "b.c")("Name" NIL "d" "e.f")(NIL NIL NIL NIL)(NIL NIL "after" "x.y")`},
		{`unterminated group: a@b.c`, `(NIL NIL "unterminated group" NIL)(NIL NIL "a" "b.c")(NIL NIL NIL NIL)`},
		{`broken <@>, <>`, `("broken" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")`},
		{`""`, ``}, // an empty quoted string is no address
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
