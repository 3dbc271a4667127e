package imapurl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want URL
	}{
		// RFC 4469 Appendix A.
		{"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER",
			URL{Mailbox: "Drafts", UIDValidity: 385759045, UID: 20, Section: "HEADER"}},
		{"/Drafts;UIDVALIDITY=385759045/;UID=20/;Section=2.MIME",
			URL{Mailbox: "Drafts", UIDValidity: 385759045, UID: 20, Section: "2.MIME"}},
		{"/INBOX;UIDVALIDITY=785799047/;UID=113330/;section=1.5.9",
			URL{Mailbox: "INBOX", UIDValidity: 785799047, UID: 113330, Section: "1.5.9"}},
		{"/Drafts;UIDVALIDITY=385759045/;UID=30", URL{Mailbox: "Drafts", UIDValidity: 385759045, UID: 30}},
		// No UIDVALIDITY; hierarchy; percent-encoded UTF-8 (RFC 5092 §8).
		{"/INBOX/;UID=1", URL{Mailbox: "INBOX", UID: 1}},
		{"/a/b%20c/;uid=7", URL{Mailbox: "a/b c", UID: 7}},
		{"/%E6%97%A5%E6%9C%AC/;UID=3", URL{Mailbox: "日本", UID: 3}},
		{"/a%2Fb/;UID=3", URL{Mailbox: "a/b", UID: 3}},
		// Sections with escapes and an embedded "/".
		{"/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(Subject%20From)",
			URL{Mailbox: "INBOX", UID: 1, Section: "HEADER.FIELDS (Subject From)"}},
		{"/INBOX/;UID=1/;SECTION=HEADER.FIELDS%20(X/Y)/;PARTIAL=0.10",
			URL{Mailbox: "INBOX", UID: 1, Section: "HEADER.FIELDS (X/Y)", Partial: &Partial{0, 10}}},
		// PARTIAL (RFC 5092 §6).
		{"/INBOX/;UID=1/;PARTIAL=5", URL{Mailbox: "INBOX", UID: 1, Partial: &Partial{Offset: 5}}},
		{"/INBOX/;UID=1/;SECTION=1.2/;partial=0.1024",
			URL{Mailbox: "INBOX", UID: 1, Section: "1.2", Partial: &Partial{0, 1024}}},
		// Dot segments (RFC 3986 §5.2.4), but not before UIDVALIDITY (RFC 5092 §9.1).
		{"/x/../INBOX/./;UID=2", URL{Mailbox: "INBOX", UID: 2}},
		{"/a/..;UIDVALIDITY=9/;UID=2", URL{Mailbox: "a/..", UIDValidity: 9, UID: 2}},
		{"/%2E%2E/;UID=2", URL{Mailbox: "..", UID: 2}},
		// Relative references without a mailbox (RFC 5092 §9.1).
		{";UID=20", URL{UID: 20}},
		{";UID=20/;SECTION=1/;PARTIAL=1.2", URL{UID: 20, Section: "1", Partial: &Partial{1, 2}}},
		{";section=1.4", URL{Section: "1.4"}},
		{";PARTIAL=0.1", URL{Partial: &Partial{0, 1}}},
		// Absolute URLs and network-path references (RFC 5092 §9).
		{"imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024",
			URL{Server: &Server{Host: "minbari.example.org"}, Mailbox: "gray-council", UIDValidity: 385759045, UID: 20, Partial: &Partial{0, 1024}}},
		{"IMAP://;AUTH=GSSAPI@minbari.example.org/gray-council/;uid=20/;section=1.2",
			URL{Server: &Server{Auth: "GSSAPI", Host: "minbari.example.org"}, Mailbox: "gray-council", UID: 20, Section: "1.2"}},
		{"imap://joe%40x;AUTH=*@Example.COM:993/INBOX/;UID=1",
			URL{Server: &Server{User: "joe@x", Auth: "*", Host: "example.com", Port: 993}, Mailbox: "INBOX", UID: 1}},
		{"imap://joe@[::1]:143/INBOX/;UID=1",
			URL{Server: &Server{User: "joe", Host: "[::1]", Port: 143}, Mailbox: "INBOX", UID: 1}},
		{"//alice@host/INBOX/;UID=1", URL{Server: &Server{User: "alice", Host: "host"}, Mailbox: "INBOX", UID: 1}},
		// URLAUTH is reported, not verified (RFC 5092 §6.1.2).
		{"imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred:internal:91354a473744909de610943775f92038",
			URL{Server: &Server{User: "joe", Host: "example.com"}, Mailbox: "INBOX", UID: 20, Section: "1.2",
				URLAuth: ";urlauth=submit+fred:internal:91354a473744909de610943775f92038"}},
		{"/INBOX/;UID=1;EXPIRE=2030-01-01T00:00:00Z;URLAUTH=anonymous",
			URL{Mailbox: "INBOX", UID: 1, URLAuth: ";EXPIRE=2030-01-01T00:00:00Z;URLAUTH=anonymous"}},
	}
	for _, tc := range cases {
		got, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("Parse(%q) =\n %+v (server %+v)\nwant\n %+v (server %+v)", tc.in, *got, got.Server, tc.want, tc.want.Server)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"", ErrNotMessage},
		{"imap://host", ErrNotMessage},
		{"imap://host/", ErrNotMessage},
		{"imap://host/INBOX", ErrNotMessage},
		{"/INBOX", ErrNotMessage},
		{"/INBOX;UIDVALIDITY=5", ErrNotMessage},
		{"/INBOX?SUBJECT%20x", ErrNotMessage},
		{"INBOX/;UID=1", ErrRelativePath},
		{"..;UIDVALIDITY=385759045/;UID=20", ErrRelativePath},
		{"http://example.com/", ErrSyntax},
		{"mailto:x@y", ErrSyntax},
		{"/INBOX/;UID=0", ErrSyntax},
		{"/INBOX/;UID=01", ErrSyntax},
		{"/INBOX/;UID=4294967296", ErrSyntax},
		{"/INBOX/;UID=", ErrSyntax},
		{"/INBOX/;UID=1x", ErrSyntax},
		{"/INBOX;UID=1", ErrSyntax},
		{"/INBOX/;UIDVALIDITY=0/;UID=1", ErrSyntax},
		{"/INBOX;UIDVALIDITY=1;UID=1", ErrSyntax},
		{"/INBOX/;UID=1/;SECTION=", ErrSyntax},
		{"/INBOX/;UID=1/;SECTION=1%0D%0A", ErrSyntax},
		{"/INBOX/;UID=1/;SECTION=%FF", ErrSyntax},
		{"/INBOX/;UID=1/;PARTIAL=", ErrSyntax},
		{"/INBOX/;UID=1/;PARTIAL=1.0", ErrSyntax},
		{"/INBOX/;UID=1/;PARTIAL=1.", ErrSyntax},
		{"/INBOX/;UID=1/;FOO=1", ErrSyntax},
		{"/INBOX/;UID=1;EXPIRE=2030-01-01T00:00:00Z", ErrSyntax},
		{"/INBOX/;UID=1/", ErrSyntax},
		{"/IN BOX/;UID=1", ErrSyntax},
		{"/IN\"BOX/;UID=1", ErrSyntax},
		{"/IN%2/;UID=1", ErrSyntax},
		{"/IN%zz/;UID=1", ErrSyntax},
		{"/IN%00BOX/;UID=1", ErrSyntax},
		{"/%C3%28/;UID=1", ErrSyntax},
		{"/../;UID=1", ErrSyntax},
		{"/;UID=1", ErrSyntax},
		{"imap://@host/INBOX/;UID=1", ErrSyntax},
		{"imap://a;B=c@host/INBOX/;UID=1", ErrSyntax},
		{"imap://a;AUTH=@host/INBOX/;UID=1", ErrSyntax},
		{"imap://a@/INBOX/;UID=1", ErrSyntax},
		{"imap://a@host:99999/INBOX/;UID=1", ErrSyntax},
		{"imap://a@host:x/INBOX/;UID=1", ErrSyntax},
		{"imap://a@[::1/INBOX/;UID=1", ErrSyntax},
		{"imap://a@h%0Ast/INBOX/;UID=1", ErrSyntax},
		{"imap://a@host@evil/INBOX/;UID=1", ErrSyntax},
		{";UID=1/;SECTION=1/;X=1", ErrSyntax},
		{";FOO=1", ErrSyntax},
		{";UID=1;URLAUTH=anonymous:internal:00", ErrSyntax},
	}
	for _, tc := range cases {
		got, err := Parse(tc.in)
		if !errors.Is(err, tc.want) {
			t.Errorf("Parse(%q) = %+v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestParseHostile checks that long and repetitive inputs stay linear and
// bounded.
func TestParseHostile(t *testing.T) {
	long := "/" + strings.Repeat("a/", 100000) + ";UID=1/;SECTION=" + strings.Repeat("1.", 100000) + "1"
	u, err := Parse(long)
	if err != nil {
		t.Fatalf("long URL: %v", err)
	}
	if len(u.Mailbox) != 2*100000-1 {
		t.Errorf("mailbox length %d", len(u.Mailbox))
	}
	if _, err := Parse("/" + strings.Repeat("../", 100000) + "x/;UID=1"); err != nil {
		t.Errorf("dot segments: %v", err)
	}
	if _, err := Parse(strings.Repeat("%", 100000)); !errors.Is(err, ErrRelativePath) {
		t.Errorf("percent run: %v", err)
	}
}
