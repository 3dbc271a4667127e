package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// step is one command of a transcript: what to send (tag included, CRLFs
// explicit) and what the collected answer up to the tagged response must
// and must not match.
type step struct {
	send    string
	want    []string // regexps, each must match somewhere in the answer
	notWant []string // regexps that must not match
}

// runTranscript sends each step and checks the lines up to its tagged
// response. Continuation requests ("+ ...") are collected like other lines,
// so a step may end at "+" by sending a partial command with tag "+".
func runTranscript(t *testing.T, rc *rawConn, steps []step) {
	t.Helper()
	for _, st := range steps {
		rc.send(st.send)
		tag := strings.Fields(st.send)[0]
		var lines []string
		for {
			l := rc.line()
			lines = append(lines, l)
			if strings.HasPrefix(l, tag+" ") || (tag == "+" && strings.HasPrefix(l, "+")) {
				break
			}
		}
		answer := strings.Join(lines, "\n")
		for _, w := range st.want {
			if !regexp.MustCompile(w).MatchString(answer) {
				t.Errorf("sent %q\ngot:\n%s\nwant match for %q", abbreviate(st.send), answer, w)
			}
		}
		for _, w := range st.notWant {
			if regexp.MustCompile(w).MatchString(answer) {
				t.Errorf("sent %q\ngot:\n%s\nmust not match %q", abbreviate(st.send), answer, w)
			}
		}
	}
}

func abbreviate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

func literalPlus(s string) string { return fmt.Sprintf("{%d+}\r\n%s", len(s), s) }

const msgA = "From: a@example.org\r\nTo: b@example.org\r\nSubject: first\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\n\r\nalpha body\r\n"
const msgB = "From: c@example.org\r\nTo: b@example.org\r\nSubject: second\r\nDate: Tue, 24 Nov 2026 08:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nYmV0YSBib2R5\r\n"

// TestTranscriptIMAP4rev1 walks the commands of issue 2 that the client
// libraries do not expose, over a raw TLS connection to the real binary.
func TestTranscriptIMAP4rev1(t *testing.T) {
	s := startServer(t, "")
	addUser(t, s.data, "tess", "pw")
	rc := dialRaw(t, s)
	runTranscript(t, rc, []step{
		{send: "p1 ID (\"name\" \"transcript\")\r\n", want: []string{`\* ID \(.*"name" "postbus"`, `p1 OK`}},
		{send: "p2 CAPABILITY\r\n", want: []string{`\* CAPABILITY .*IMAP4rev1`, `IMAP4rev2`, `AUTH=PLAIN`, `SASL-IR`, `LITERAL\+`, `APPENDLIMIT=\d+`, `MULTIAPPEND`, `ESEARCH`, `SEARCHRES`, `BINARY`, `STATUS=SIZE`, `SPECIAL-USE`, `LIST-STATUS`, `LIST-EXTENDED`, `UIDPLUS`, `MOVE`, `UNSELECT`, `NAMESPACE`, `CHILDREN`, `ENABLE`, `IDLE`, `ID`}},
		{send: "p3 LOGIN tess pw\r\n", want: []string{`p3 OK`}},
		{send: "p4 NAMESPACE\r\n", want: []string{`\* NAMESPACE \(\(""\s+"/"\)\) NIL NIL`, `p4 OK`}},
		{send: "p5 CREATE Work/Reports\r\n", want: []string{`p5 OK`}},
		{send: "p6 CREATE Later (USE (\\Flagged))\r\n", want: []string{`p6 (OK|NO)`}},
		// LITERAL+ and MULTIAPPEND: both messages in one atomic command.
		{send: "p7 APPEND Work/Reports (\\Seen) " + literalPlus(msgA) + " (\\Flagged $Label1) " + literalPlus(msgB) + "\r\n",
			want: []string{`p7 OK \[APPENDUID \d+ 1:2\]`}},
		{send: "p8 LIST \"\" \"*\" RETURN (STATUS (MESSAGES UNSEEN SIZE) SPECIAL-USE CHILDREN)\r\n",
			want: []string{`\* LIST \(.*\\HasChildren.*\) "/" Work`, `\* LIST \(.*\\HasNoChildren.*\) "/" Work/Reports`,
				`\* STATUS Work/Reports \(MESSAGES 2 UNSEEN 1 SIZE \d+\)`, `\* LIST \(.*\\Sent.*\) "/" Sent`, `p8 OK`}},
		{send: "p9 LIST (SPECIAL-USE) \"\" \"*\"\r\n", want: []string{`\\Trash.*"/" Trash`, `p9 OK`}, notWant: []string{`"/" Work`}},
		{send: "p10 LIST (SUBSCRIBED) \"\" \"*\"\r\n", want: []string{`\\Subscribed.*"/" INBOX`, `p10 OK`}},
		{send: "p11 LIST \"\" \"Work/%\"\r\n", want: []string{`"/" Work/Reports`, `p11 OK`}},
		{send: "p12 LSUB \"\" \"*\"\r\n", want: []string{`\* LSUB .* INBOX`, `p12 OK`}},
		{send: "p13 STATUS Work/Reports (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT)\r\n",
			want: []string{`\* STATUS Work/Reports \(.*MESSAGES 2.*UIDNEXT 3.*UIDVALIDITY \d+.*UNSEEN 1`, `DELETED 0`, `p13 OK`}},
		{send: "p14 EXAMINE Work/Reports\r\n", want: []string{`\* 2 EXISTS`, `p14 OK \[READ-ONLY\]`}},
		{send: "p15 STORE 1 +FLAGS (\\Deleted)\r\n", want: []string{`p15 NO`}},
		{send: "p16 SELECT Work/Reports\r\n", want: []string{`\* 2 EXISTS`, `\* FLAGS \(`, `OK \[UIDVALIDITY \d+\]`, `OK \[UIDNEXT 3\]`, `OK \[PERMANENTFLAGS \(.*\\\*\)\]`, `p16 OK \[READ-WRITE\]`}},
		{send: "p17 SEARCH RETURN (MIN MAX COUNT) ALL\r\n", want: []string{`\* ESEARCH \(TAG "p17"\) MIN 1 MAX 2 COUNT 2`, `p17 OK`}},
		{send: "p18 UID SEARCH RETURN (ALL) ALL\r\n", want: []string{`\* ESEARCH \(TAG "p18"\) UID ALL 1:2`, `p18 OK`}},
		{send: "p19 SEARCH RETURN (SAVE) KEYWORD $Label1\r\n", want: []string{`p19 OK`}, notWant: []string{`\* SEARCH`, `\* ESEARCH`}},
		{send: "p20 FETCH $ (UID)\r\n", want: []string{`\* 2 FETCH \(UID 2\)`, `p20 OK`}, notWant: []string{`\* 1 FETCH`}},
		{send: "p21 SEARCH BODY beta\r\n", want: []string{`(?m)^\* SEARCH 2$`, `p21 OK`}},
		{send: "p22 SEARCH CHARSET KOI8-R ALL\r\n", want: []string{`p22 NO \[BADCHARSET`}},
		{send: "p23 FETCH 1 (RFC822.HEADER RFC822.SIZE)\r\n", want: []string{`RFC822.HEADER \{\d+\}`, `Subject: first`, fmt.Sprintf(`RFC822.SIZE %d`, len(msgA)), `p23 OK`}},
		{send: "p24 FETCH 2 (BINARY.SIZE[1] BINARY.PEEK[1])\r\n", want: []string{`BINARY.SIZE\[1\] 9`, `BINARY\[1\] (\{9\}|~\{9\})`, `beta body`, `p24 OK`}},
		{send: "p25 FETCH 2 (RFC822.TEXT)\r\n", want: []string{`RFC822.TEXT \{\d+\}`, `YmV0YSBib2R5`, `\\Seen`, `p25 OK`}},
		{send: "p26 FETCH 1:2 (BODY[HEADER.FIELDS.NOT (From To Date)])\r\n", want: []string{`Subject: first`, `Subject: second`, `p26 OK`}, notWant: []string{`From: a@`}},
		{send: "p27 FETCH 1 (BODY.PEEK[1]<2.3> BODY)\r\n", want: []string{`BODY\[1\]<2> \{3\}`, `pha`, `BODY \("text" "plain"`, `p27 OK`}},
		{send: "p28 CHECK\r\n", want: []string{`p28 OK`}},
		{send: "p29 UID STORE 1:2 +FLAGS.SILENT (\\Deleted)\r\n", want: []string{`p29 OK`}, notWant: []string{`FETCH`}},
		{send: "p30 UID EXPUNGE 2\r\n", want: []string{`\* 2 EXPUNGE`, `p30 OK`}, notWant: []string{`\* 1 EXPUNGE`}},
		{send: "p31 COPY 1 INBOX\r\n", want: []string{`p31 OK \[COPYUID \d+ 1 \d+\]`}},
		{send: "p32 CLOSE\r\n", want: []string{`p32 OK`}, notWant: []string{`EXPUNGE`}},
		{send: "p33 STATUS Work/Reports (MESSAGES)\r\n", want: []string{`MESSAGES 0`, `p33 OK`}},
		{send: "p34 FETCH 1 (FLAGS)\r\n", want: []string{`p34 BAD`}},
		{send: "p35 SELECT INBOX\r\n", want: []string{`\* 1 EXISTS`, `p35 OK`}},
		{send: "p36 UNSELECT\r\n", want: []string{`p36 OK`}},
		{send: "p37 RENAME INBOX Old-Inbox\r\n", want: []string{`p37 OK`}},
		{send: "p38 STATUS Old-Inbox (MESSAGES)\r\n", want: []string{`MESSAGES 1`, `p38 OK`}},
		{send: "p39 STATUS INBOX (MESSAGES)\r\n", want: []string{`MESSAGES 0`, `p39 OK`}},
		{send: "p40 DELETE INBOX\r\n", want: []string{`p40 NO`}},
		{send: "p41 SUBSCRIBE Ghost\r\n", want: []string{`p41 OK`}},
		{send: "p42 LIST (SUBSCRIBED) \"\" \"Ghost\"\r\n", want: []string{`\\NonExistent.*Ghost`, `p42 OK`}},
		{send: "p43 LOGOUT\r\n", want: []string{`\* BYE`, `p43 OK`}},
	})
}

// TestTranscriptIMAP4rev2: after ENABLE IMAP4rev2 the server speaks rev2:
// ESEARCH for every SEARCH, no RECENT, UTF-8 mailbox names.
func TestTranscriptIMAP4rev2(t *testing.T) {
	s := startServer(t, "")
	addUser(t, s.data, "rev2", "pw")
	rc := dialRaw(t, s)
	runTranscript(t, rc, []step{
		{send: "r1 AUTHENTICATE PLAIN AHJldjIAcHc=\r\n", want: []string{`r1 OK`}},
		{send: "r2 ENABLE IMAP4rev2\r\n", want: []string{`\* ENABLED IMAP4rev2`, `r2 OK`}},
		{send: "r3 CREATE \"Entwürfe-alt\"\r\n", want: []string{`r3 OK`}},
		{send: "r4 APPEND \"Entwürfe-alt\" " + literalPlus(msgA) + "\r\n", want: []string{`r4 OK \[APPENDUID`}},
		{send: "r5 SELECT \"Entwürfe-alt\"\r\n", want: []string{`\* 1 EXISTS`, `r5 OK`}, notWant: []string{`RECENT`}},
		{send: "r6 SEARCH ALL\r\n", want: []string{`\* ESEARCH \(TAG "r6"\) ALL 1`, `r6 OK`}, notWant: []string{`\* SEARCH`}},
		{send: "r7 LIST \"\" \"Entw*\"\r\n", want: []string{`"/" "?Entwürfe-alt"?`, `r7 OK`}},
		// UTF-8 in an atom is not IMAP syntax, even in rev2 (RFC 9051 §9: ATOM-CHAR is 7-bit).
		{send: "r8 SELECT Entwürfe-alt\r\n", want: []string{`r8 BAD`}},
		{send: "r9 LOGOUT\r\n", want: []string{`\* BYE`}},
	})
}
