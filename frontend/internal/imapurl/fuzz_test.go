package imapurl

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary client strings to Parse: it must not panic,
// must fail only with its sentinels, and what it accepts must keep the
// documented invariants (UTF-8 names without controls, absolute URLs
// naming a message, URLAUTH only at the end).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER",
		"/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(X/Y)/;PARTIAL=0.10",
		"imap://joe%40x;AUTH=*@Example.COM:993/INBOX/;UID=1",
		"imap://joe@[::1]:143/a/../b;UIDVALIDITY=1/;UID=2;URLAUTH=anonymous:internal:00",
		";UID=20/;SECTION=1/;PARTIAL=1.2",
		"//h/x?y",
		"/%E6%97%A5/;uid=3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrNotMessage) && !errors.Is(err, ErrRelativePath) {
				t.Fatalf("Parse(%q): unexpected error %v", s, err)
			}
			return
		}
		for _, name := range []string{u.Mailbox, u.Section} {
			if !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
				t.Fatalf("Parse(%q): unsafe decoded text %q", s, name)
			}
		}
		if u.Server != nil && (u.Mailbox == "" || u.UID == 0) {
			t.Fatalf("Parse(%q): absolute URL without mailbox or UID: %+v", s, u)
		}
		if u.URLAuth != "" && !strings.HasSuffix(s, u.URLAuth) {
			t.Fatalf("Parse(%q): URLAUTH %q not at the end", s, u.URLAuth)
		}
	})
}
