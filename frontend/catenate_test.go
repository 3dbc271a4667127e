package frontend

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// catSource is the message the CATENATE tests take parts from: multipart
// with a text part and a base64 attachment, like RFC 4469 Appendix A's.
const catSource = "From: Bob <bob@example.org>\r\n" +
	"Subject: source\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n" +
	"\r\n" +
	"--b\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"Our travel agent has sent the updated schedule.\r\n" +
	"--b\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"AAECAwQF\r\n" +
	"--b--\r\n"

var (
	appendUIDRe = regexp.MustCompile(`\[APPENDUID (\d+) ([\d:,]+)\]`)
	literalRe   = regexp.MustCompile(`~?\{(\d+)\}\r\n`)
)

// catSetup logs in, stores catSource in INBOX (UID 1) and returns the
// session and INBOX's UIDVALIDITY.
func catSetup(t *testing.T, e *env) (*raw, string) {
	t.Helper()
	r := e.rawTLS(t)
	r.login()
	r.send("s APPEND INBOX {" + itoa(len(catSource)) + "+}\r\n" + catSource + "\r\n")
	_, tagged := r.until("s")
	m := appendUIDRe.FindStringSubmatch(tagged)
	if m == nil || m[2] != "1" {
		t.Fatalf("APPEND source: %q", tagged)
	}
	return r, m[1]
}

// literalIn returns the content of the first literal in a response line
// that raw.line inlined.
func literalIn(t *testing.T, line string) string {
	t.Helper()
	loc := literalRe.FindStringSubmatchIndex(line)
	if loc == nil {
		t.Fatalf("no literal in %q", line)
	}
	n, _ := strconv.Atoi(line[loc[2]:loc[3]])
	return line[loc[1] : loc[1]+n]
}

// fetchSection returns BODY.PEEK[section] of a UID in the selected mailbox.
func fetchSection(t *testing.T, r *raw, uid, section string) string {
	t.Helper()
	u := r.expect("f", "UID FETCH "+uid+" BODY.PEEK["+section+"]", "OK")
	if len(u) != 1 {
		t.Fatalf("UID FETCH %s BODY.PEEK[%s]: %q", uid, section, u)
	}
	return literalIn(t, u[0])
}

// messages returns the MESSAGES count of a mailbox.
func messages(t *testing.T, r *raw, mailbox string) string {
	t.Helper()
	u := r.expect("st", "STATUS "+mailbox+" (MESSAGES)", "OK")
	if len(u) != 1 {
		t.Fatalf("STATUS: %q", u)
	}
	return u[0][strings.LastIndex(u[0], " ")+1 : len(u[0])-1]
}

func TestCatenateCapability(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	u := r.expect("c", "CAPABILITY", "OK")
	if !containsLine(u, " CATENATE") || !containsLine(u, " URL-PARTIAL") || containsLine(u, "URLAUTH") {
		t.Errorf("CAPABILITY: %q", u)
	}
}

// TestCatenateBuild appends CATENATE messages and fetches them back
// byte-exact: the result must be the parts' octets in order, each URL part
// exactly what FETCH BODY.PEEK[section]<partial> returns.
func TestCatenateBuild(t *testing.T) {
	e := newEnv(t)
	r, validity := catSetup(t, e)
	r.expect("sel", "EXAMINE INBOX", "OK")
	header := fetchSection(t, r, "1", "HEADER")
	text := fetchSection(t, r, "1", "TEXT")
	part1 := fetchSection(t, r, "1", "1")
	mime1 := fetchSection(t, r, "1", "1.MIME")
	part2 := fetchSection(t, r, "1", "2")
	if part1 != "Our travel agent has sent the updated schedule." || !strings.HasPrefix(mime1, "Content-Type: text/plain") {
		t.Fatalf("source sections: %q %q", part1, mime1)
	}
	fields := fetchSection(t, r, "1", "HEADER.FIELDS (Subject)")

	lit := func(s string) string { return "{" + itoa(len(s)) + "+}\r\n" + s }
	abs := "/INBOX;UIDVALIDITY=" + validity + "/;UID=1"
	cases := []struct {
		name  string
		parts string // the CATENATE list's contents
		want  string
	}{
		{"TEXT only", "TEXT " + lit("Subject: plain\r\n\r\nbody\r\n"), "Subject: plain\r\n\r\nbody\r\n"},
		{"URL of the whole message", `URL "` + abs + `"`, catSource},
		{"URL without UIDVALIDITY", `URL "/inbox/;uid=1"`, catSource},
		{"URL of a section", `URL "` + abs + `/;SECTION=1"`, part1},
		{"URL of a section, PARTIAL", `URL "` + abs + `/;SECTION=1/;PARTIAL=4.6"`, part1[4:10]},
		// The partial starts after a CR: the bare LF it leaves becomes CRLF,
		// as every delivered message's do.
		{"URL PARTIAL to the end", `URL "` + abs + `/;PARTIAL=` + itoa(len(catSource)-8) + `"`, "\r" + catSource[len(catSource)-8:]},
		{"URL PARTIAL past the end", `URL "` + abs + `/;SECTION=1/;PARTIAL=1000.5" TEXT ` + lit("x"), "x"},
		{"HEADER.FIELDS section", `URL "` + abs + `/;SECTION=HEADER.FIELDS%20(Subject)"`, fields},
		{"URL as a literal", "URL " + lit(abs+"/;SECTION=TEXT"), text},
		{"relative URL in the selected mailbox", `URL ";UID=1/;SECTION=2"`, part2},
		{"absolute URL of this user and server", `URL "imap://alice@POSTBUS/INBOX/;UID=1/;SECTION=1.MIME"`, mime1},
		{"mixed TEXT, URL, TEXT (RFC 4469 example 1)",
			`URL "` + abs + `/;section=HEADER" TEXT ` + lit("--b\r\n") + ` URL "` + abs + `/;section=1.MIME" URL "` + abs + `/;section=1" TEXT ` +
				lit("\r\n--b\r\nContent-Type: text/plain\r\n\r\nattachment removed\r\n--b--\r\n"),
			header + "--b\r\n" + mime1 + part1 + "\r\n--b\r\nContent-Type: text/plain\r\n\r\nattachment removed\r\n--b--\r\n"},
		// The NUL is stored; BODY[] shows it as 0x80, since a literal
		// cannot carry NUL (RFC 9051 §4.3; BINARY[] gives it back).
		{"literal8 TEXT", "TEXT ~{3+}\r\na\x00b", "a\x80b"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tag := "a" + itoa(i)
			r.send(tag + ` APPEND Drafts (\Draft) CATENATE (` + tc.parts + ")\r\n")
			_, tagged := r.until(tag)
			m := appendUIDRe.FindStringSubmatch(tagged)
			if !strings.HasPrefix(tagged, tag+" OK") || m == nil {
				t.Fatalf("APPEND: %q", tagged)
			}
			r.expect("s", "EXAMINE Drafts", "OK")
			if got := fetchSection(t, r, m[2], ""); got != tc.want {
				t.Errorf("catenated message:\n got %q\nwant %q", got, tc.want)
			}
			u := r.expect("g", "UID FETCH "+m[2]+" (FLAGS RFC822.SIZE)", "OK")
			if !containsLine(u, `FLAGS (\Draft)`) || !containsLine(u, "RFC822.SIZE "+itoa(len(tc.want))+")") {
				t.Errorf("FLAGS, RFC822.SIZE: %q", u)
			}
			r.expect("back", "EXAMINE INBOX", "OK")
		})
	}

	// The result is analysed like any APPEND: ENVELOPE, BODYSTRUCTURE and
	// PREVIEW of the catenated copy match the source's.
	r.expect("s1", "EXAMINE Drafts", "OK")
	u := r.expect("s2", "UID FETCH 2 (ENVELOPE BODYSTRUCTURE PREVIEW)", "OK")
	r.expect("s3", "EXAMINE INBOX", "OK")
	src := r.expect("s4", "UID FETCH 1 (ENVELOPE BODYSTRUCTURE PREVIEW FLAGS)", "OK")
	strip := func(s string) string { return s[strings.Index(s, "ENVELOPE"):] }
	if len(u) != 1 || len(src) != 1 || !strings.Contains(u[0], "PREVIEW \"Our travel agent") ||
		strip(u[0]) != strings.Replace(strip(src[0]), " FLAGS ()", "", 1) {
		t.Errorf("copy %q\nsource %q", u, src)
	}
	// RFC 4469 §3: catenating does not set \Seen on the source.
	if !containsLine(src, "FLAGS ()") {
		t.Errorf("source flags changed: %q", src)
	}
}

// TestCatenateSyncLiteral drives synchronising literals: each TEXT gets its
// continuation only once the earlier parts were accepted.
func TestCatenateSyncLiteral(t *testing.T) {
	e := newEnv(t)
	r, _ := catSetup(t, e)
	r.send("a APPEND Drafts CATENATE (URL \"/INBOX/;UID=1/;SECTION=HEADER\" TEXT {6}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("continuation: %q", l)
	}
	r.send("hello\n URL {21}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("continuation: %q", l)
	}
	r.send("/INBOX/;UID=1/;PARTIAL=0.4)\r\n")
	// The 21 octets of the literal are the URL; it is resolved as soon as
	// it is read, and the rest of the line is skipped.
	_, tagged := r.until("a")
	if tagged != "a NO [BADURL /INBOX/;UID=1/;PARTIA] invalid IMAP URL" {
		t.Fatalf("truncated literal URL: %q", tagged)
	}
	url := "/INBOX/;UID=1/;PARTIAL=0.4"
	r.send("b APPEND Drafts CATENATE (TEXT {6}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("continuation: %q", l)
	}
	r.send("hello\n URL {" + itoa(len(url)) + "}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("continuation: %q", l)
	}
	r.send(url + ")\r\n")
	if _, tagged := r.until("b"); !strings.HasPrefix(tagged, "b OK [APPENDUID") {
		t.Fatalf("APPEND: %q", tagged)
	}
	r.expect("s", "EXAMINE Drafts", "OK")
	// The TEXT part's bare LF is stored as CRLF (frontend/deliver/crlf.go).
	if got := fetchSection(t, r, "1", ""); got != "hello\r\nFrom" {
		t.Errorf("message %q", got)
	}
}

// TestCatenateBadURL covers RFC 4469 §4.1: NO [BADURL url] naming the
// first URL that failed, and nothing appended.
func TestCatenateBadURL(t *testing.T) {
	e := newEnv(t)
	r, validity := catSetup(t, e)
	other := strconv.Itoa(mustAtoi(t, validity) + 1)
	cases := []struct{ name, url, want string }{
		{"nonexistent UID", "/INBOX/;UID=99", ""},
		{"nonexistent mailbox", "/Nope/;UID=1", ""},
		{"stale UIDVALIDITY", "/INBOX;UIDVALIDITY=" + other + "/;UID=1", ""},
		{"other user", "imap://bob@postbus/INBOX/;UID=1", ""},
		{"anonymous", "imap://postbus/INBOX/;UID=1", ""},
		{"other server", "imap://alice@imap.example.org/INBOX/;UID=1", ""},
		{"network path to another user", "//bob@postbus/INBOX/;UID=1", ""},
		{"URLAUTH", "/INBOX/;UID=1;URLAUTH=anonymous:internal:0123456789abcdef0123456789abcdef", ""},
		{"no such part", "/INBOX/;UID=1/;SECTION=7", ""},
		{"invalid section", "/INBOX/;UID=1/;SECTION=1.BOGUS", ""},
		{"MIME of the whole message", "/INBOX/;UID=1/;SECTION=MIME", ""},
		{"relative without a selected mailbox", ";UID=1", ""},
		{"relative without a UID", ";SECTION=1", ""},
		{"relative-path reference", "INBOX/;UID=1", ""},
		{"not an IMAP URL", "http://example.org/", ""},
		{"garbage", "not a url]\x7f", "not a url%5D%7F"},
		{"empty", "", `""`},
		{"a mailbox, not a message", "/INBOX", ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tag := "b" + itoa(i)
			want := tc.want
			if want == "" {
				want = tc.url
			}
			r.send(tag + " APPEND Drafts CATENATE (TEXT {2+}\r\nhi URL {" + itoa(len(tc.url)) + "+}\r\n" + tc.url + " TEXT {2+}\r\nho)\r\n")
			_, tagged := r.until(tag)
			if !strings.HasPrefix(tagged, tag+" NO [BADURL "+want+"] ") {
				t.Errorf("got %q, want NO [BADURL %s]", tagged, want)
			}
		})
	}
	if n := messages(t, r, "Drafts"); n != "0" {
		t.Errorf("Drafts holds %s messages after refused APPENDs", n)
	}

	// A refused URL before a synchronising TEXT: the server answers at
	// once, without a continuation (RFC 4469 Appendix A example 4 note).
	r.send(`c APPEND Drafts CATENATE (URL "/INBOX/;UID=42" TEXT {5}` + "\r\n")
	if l := r.line(); l != "c NO [BADURL /INBOX/;UID=42] no such message" {
		t.Fatalf("got %q", l)
	}
	r.expect("d", "NOOP", "OK")

	// The first bad URL is named, not a later one.
	_, tagged := r.cmd("e", `APPEND Drafts CATENATE (URL "/INBOX/;UID=5" URL "/INBOX/;UID=6")`)
	if !strings.HasPrefix(tagged, "e NO [BADURL /INBOX/;UID=5]") {
		t.Errorf("got %q", tagged)
	}
	// Bob cannot reach alice's mailboxes through a URL either.
	rb := e.rawTLS(t)
	if _, tagged := rb.cmd("L", `LOGIN bob "`+testPassword+`"`); !strings.HasPrefix(tagged, "L OK") {
		t.Fatal(tagged)
	}
	_, tagged = rb.cmd("f", `APPEND INBOX CATENATE (URL "imap://alice@postbus/INBOX/;UID=1")`)
	if !strings.HasPrefix(tagged, "f NO [BADURL imap://alice@postbus/INBOX/;UID=1]") {
		t.Errorf("bob: %q", tagged)
	}
	_, tagged = rb.cmd("g", `APPEND INBOX CATENATE (URL "/INBOX/;UID=1")`)
	if !strings.HasPrefix(tagged, "g NO [BADURL /INBOX/;UID=1]") {
		t.Errorf("bob's own empty INBOX: %q", tagged)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCatenateMultiappend: a MULTIAPPEND mixing literals and CATENATE is
// all or nothing (RFC 3502 §6.3.11).
func TestCatenateMultiappend(t *testing.T) {
	e := newEnv(t)
	r, _ := catSetup(t, e)
	lit := "Subject: plain\r\n\r\nx\r\n"
	_, tagged := r.cmd("a", `APPEND Drafts {`+itoa(len(lit))+"+}\r\n"+lit+
		` CATENATE (URL "/INBOX/;UID=1") (\Seen) CATENATE (TEXT {3+}`+"\r\nabc"+` URL "/INBOX/;UID=1/;SECTION=1")`)
	if m := appendUIDRe.FindStringSubmatch(tagged); m == nil || m[2] != "1:3" {
		t.Fatalf("MULTIAPPEND: %q", tagged)
	}
	r.expect("s", "EXAMINE Drafts", "OK")
	if got := fetchSection(t, r, "3", ""); got != "abcOur travel agent has sent the updated schedule." {
		t.Errorf("third message %q", got)
	}
	if got := fetchSection(t, r, "2", ""); got != catSource {
		t.Errorf("second message %q", got)
	}

	// One bad URL in the last message: none of the three is appended.
	_, tagged = r.cmd("b", `APPEND Drafts CATENATE (URL "/INBOX/;UID=1") {`+itoa(len(lit))+"+}\r\n"+lit+
		` CATENATE (URL "/INBOX/;UID=1" URL "/INBOX/;UID=9")`)
	if !strings.HasPrefix(tagged, "b NO [BADURL /INBOX/;UID=9]") {
		t.Fatalf("MULTIAPPEND with a bad URL: %q", tagged)
	}
	if n := messages(t, r, "Drafts"); n != "3" {
		t.Errorf("Drafts holds %s messages, want 3", n)
	}
}

// TestCatenateTooBig: RFC 4469 §4.2 TOOBIG when the catenation exceeds
// APPENDLIMIT, for URL parts and for a TEXT part refused before its
// continuation.
func TestCatenateTooBig(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.MaxLiteral = 700 })
	r, _ := catSetup(t, e) // 311 octets
	url := `URL "/INBOX/;UID=1"`
	_, tagged := r.cmd("a", "APPEND Drafts CATENATE ("+url+" "+url+" "+url+")")
	if !strings.HasPrefix(tagged, "a NO [TOOBIG]") {
		t.Errorf("three copies: %q", tagged)
	}
	// Two copies (622) and 78 octets of TEXT: exactly the limit.
	_, tagged = r.cmd("b", "APPEND Drafts CATENATE ("+url+" "+url+" TEXT {78+}\r\n"+strings.Repeat("x", 78)+")")
	if !strings.HasPrefix(tagged, "b OK") {
		t.Errorf("at the limit: %q", tagged)
	}
	// One octet more, synchronising: refused without a continuation.
	r.send("c APPEND Drafts CATENATE (" + url + " " + url + " TEXT {79}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "c NO [TOOBIG]") {
		t.Fatalf("TEXT over the limit: %q", l)
	}
	// A TEXT literal over APPENDLIMIT by itself is refused by the decoder.
	r.send("d APPEND Drafts CATENATE (TEXT {701}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "d NO [TOOBIG]") {
		t.Fatalf("TEXT literal over APPENDLIMIT: %q", l)
	}
	if n := messages(t, r, "Drafts"); n != "1" {
		t.Errorf("Drafts holds %s messages, want 1", n)
	}
}

// TestCatenateSyntax: malformed CATENATE lists are BAD and leave the
// session usable.
func TestCatenateSyntax(t *testing.T) {
	e := newEnv(t)
	r, _ := catSetup(t, e)
	for i, line := range []string{
		"APPEND Drafts CATENATE ()",
		"APPEND Drafts CATENATE (TEXT \"abc\")",
		"APPEND Drafts CATENATE (URL)",
		"APPEND Drafts CATENATE (URL \"/INBOX/;UID=1\"",
		"APPEND Drafts CATENATE (FILE \"/etc/passwd\")",
		"APPEND Drafts CATENATE URL \"/INBOX/;UID=1\"",
		"APPEND Drafts CATENATE (URL \"/INBOX/;UID=1\")junk",
	} {
		tag := "s" + itoa(i)
		r.expect(tag, line, "BAD")
	}
	// Too many parts.
	parts := strings.Repeat(` URL "/INBOX/;UID=1/;SECTION=1/;PARTIAL=0.1"`, maxCatParts+1)
	r.expect("p", "APPEND Drafts CATENATE ("+parts[1:]+")", "NO [LIMIT]")
	// A nonexistent destination is refused before any part is read.
	r.expect("t", `APPEND Nope CATENATE (URL "/INBOX/;UID=1" TEXT {3+}`+"\r\nabc)", "NO [TRYCREATE]")
	r.expect("n", "NOOP", "OK")
	if n := messages(t, r, "Drafts"); n != "0" {
		t.Errorf("Drafts holds %s messages", n)
	}
}

// TestCatenateQuota: the catenated message counts against the quota like
// any APPEND (RFC 9208).
func TestCatenateQuota(t *testing.T) {
	e := newEnv(t)
	r, _ := catSetup(t, e)
	e.setQuota(t, testUser, 0, 2)
	url := `URL "/INBOX/;UID=1"`
	r.expect("a", "APPEND Drafts CATENATE ("+url+")", "OK")
	r.expect("b", "APPEND Drafts CATENATE ("+url+")", "NO [OVERQUOTA]")
	if n := messages(t, r, "Drafts"); n != "1" {
		t.Errorf("Drafts holds %s messages, want 1", n)
	}
}
