package frontend

import (
	"strings"
	"testing"
)

// sortMsg is one message of the SORT/THREAD test mailbox.
type sortMsg struct {
	internal string // APPEND date-time (INTERNALDATE, the ARRIVAL key)
	header   string
	body     int // body octets: they set the SIZE order
}

// sortMailbox is small enough to work the RFC 5256 answers out by hand.
// Sequence numbers 1–6, UIDs 2–7 (UID 1 is appended and expunged first so
// that UID and sequence answers differ). Sent dates in UTC:
//
//	1: 25 Nov 10:00   2: 25 Nov 12:00   3: 25 Nov 11:00
//	4: 25 Nov 10:30 (11:30 +0100)       5: no Date: INTERNALDATE 4 Nov 10:00
//	6: 25 Nov 13:00
//
// Base subjects: 1, 2, 4 "project plan"; 3 (an encoded word), 5 ("[fwd:
// ...]"), 6 "lunch". Threads by references: 2 → 1, 4 → 1 (In-Reply-To
// only), 5 and 6 → a missing <gone@x>.
var sortMailbox = []sortMsg{
	{"05-Nov-2026 08:00:00 +0000", "From: Zed <zed@a.org>\r\nTo: carol@x.org\r\nSubject: Project plan\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <p1@x>\r\n", 3000},
	{"01-Nov-2026 08:00:00 +0000", "From: amy@b.org\r\nTo: Zoe <bob@x.org>\r\nCc: dan@x.org\r\nSubject: Re: Project plan\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <p2@x>\r\nReferences: <p1@x>\r\n", 6000},
	{"03-Nov-2026 08:00:00 +0000", "From: Al <yves@c.org>\r\nTo: al@x.org\r\nSubject: =?UTF-8?Q?Lunch?=\r\nDate: Wed, 25 Nov 2026 11:00:00 +0000\r\nMessage-ID: <l1@x>\r\n", 1000},
	{"02-Nov-2026 08:00:00 +0000", "From: bea@d.org\r\nSubject: Re: project plan\r\nDate: Wed, 25 Nov 2026 11:30:00 +0100\r\nMessage-ID: <p3@x>\r\nIn-Reply-To: <p1@x>\r\n", 5000},
	{"04-Nov-2026 10:00:00 +0000", "From: Dee <dee@f.org>\r\nSubject: [fwd: Lunch]\r\nMessage-ID: <l2@x>\r\nReferences: <gone@x>\r\n", 2000},
	{"06-Nov-2026 08:00:00 +0000", "From: cy@e.org\r\nSubject: Re: Lunch\r\nDate: Wed, 25 Nov 2026 13:00:00 +0000\r\nMessage-ID: <l3@x>\r\nReferences: <gone@x>\r\n", 4000},
}

func (r *raw) appendAt(mailbox, internal, msg string) {
	r.t.Helper()
	r.send(`A APPEND ` + mailbox + ` () "` + internal + `" {` + itoa(len(msg)) + "}\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+") {
		r.t.Fatalf("continuation: %q", l)
	}
	r.send(msg + "\r\n")
	if _, tagged := r.until("A"); !strings.HasPrefix(tagged, "A OK") {
		r.t.Fatalf("APPEND: %q", tagged)
	}
}

// sortEnv logs in and selects INBOX holding sortMailbox.
func sortEnv(t *testing.T) *raw {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.appendAt("INBOX", "01-Jan-2026 00:00:00 +0000", "Subject: gone\r\n\r\nx\r\n")
	for _, m := range sortMailbox {
		r.appendAt("INBOX", m.internal, m.header+"\r\n"+strings.Repeat("x", m.body)+"\r\n")
	}
	r.expect("s", "SELECT INBOX", "OK")
	r.expect("d", `STORE 1 +FLAGS.SILENT (\Deleted)`, "OK")
	r.expect("x", "EXPUNGE", "OK")
	return r
}

func TestSortThread(t *testing.T) {
	r := sortEnv(t)
	tests := []struct {
		cmd, want string
	}{
		// RFC 5256 §3 criteria.
		{"SORT (DATE) UTF-8 ALL", "* SORT 5 1 4 3 2 6"},
		{"SORT (ARRIVAL) UTF-8 ALL", "* SORT 2 4 3 5 1 6"},
		{"SORT (SUBJECT) UTF-8 ALL", "* SORT 3 5 6 1 2 4"},
		{"SORT (SUBJECT REVERSE DATE) UTF-8 ALL", "* SORT 6 3 5 2 4 1"},
		{"SORT (REVERSE SUBJECT) UTF-8 ALL", "* SORT 1 2 4 3 5 6"}, // ties stay in mailbox order
		{"SORT (FROM) US-ASCII ALL", "* SORT 2 4 6 5 3 1"},
		{"SORT (TO) UTF-8 ALL", "* SORT 4 5 6 3 2 1"},
		{"SORT (CC) UTF-8 ALL", "* SORT 1 3 4 5 6 2"},
		{"SORT (SIZE) UTF-8 ALL", "* SORT 3 5 1 6 4 2"},
		{"SORT (REVERSE SIZE) UTF-8 ALL", "* SORT 2 4 6 1 5 3"},
		// RFC 5957 display names (mailbox@host without one).
		{"SORT (DISPLAYFROM) UTF-8 ALL", "* SORT 3 2 4 6 5 1"},
		{"SORT (DISPLAYTO) UTF-8 ALL", "* SORT 4 5 6 3 1 2"},
		// Search criteria and UIDs.
		{`SORT (DATE) "UTF-8" SUBJECT lunch`, "* SORT 5 3 6"},
		{"SORT (DATE) UTF-8 SUBJECT nothing-like-this", "* SORT"},
		{"SORT (DATE) UTF-8 2:4", "* SORT 4 3 2"},
		{"UID SORT (DATE) UTF-8 ALL", "* SORT 6 2 5 4 3 7"},
		{"UID SORT (DATE) UTF-8 UID 2:4", "* SORT 2 4 3"},
		// RFC 5267 ESORT.
		{"SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL", `* ESEARCH (TAG "t") MIN 5 MAX 6 ALL 5,1,4,3,2,6 COUNT 6`},
		{"SORT RETURN () (SUBJECT) UTF-8 ALL", `* ESEARCH (TAG "t") ALL 3,5:6,1:2,4`},
		{"UID SORT RETURN (ALL) (SUBJECT) UTF-8 ALL", `* ESEARCH (TAG "t") UID ALL 4,6:7,2:3,5`},
		{"SORT RETURN (COUNT MIN) (DATE) UTF-8 SUBJECT nothing-like-this", `* ESEARCH (TAG "t") COUNT 0`},
		// RFC 5256 §3 THREAD.
		{"THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (5 (3)(6))(1 (4)(2))"},
		{"UID THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (6 (4)(7))(2 (5)(3))"},
		// 5 and 6 keep the dummy <gone@x>; 3 joins it by subject (step 5).
		{"THREAD REFERENCES UTF-8 ALL", "* THREAD ((5)(3)(6))(1 (4)(2))"},
		{"UID THREAD REFERENCES UTF-8 ALL", "* THREAD ((6)(4)(7))(2 (5)(3))"},
		{"THREAD REFERENCES UTF-8 FROM amy", "* THREAD (2)"}, // its parent was not searched
		{"THREAD REFERENCES UTF-8 1:2", "* THREAD (1 2)"},
		{"THREAD REFERENCES UTF-8 SUBJECT nothing-like-this", "* THREAD"},
	}
	for _, tt := range tests {
		untagged := r.expect("t", tt.cmd, "OK")
		if len(untagged) != 1 || untagged[0] != tt.want {
			t.Errorf("%s:\n got  %q\n want %q", tt.cmd, untagged, tt.want)
		}
	}
	// The search key is SEARCH's: $ from SEARCHRES (RFC 5182) works too.
	r.expect("v", "SEARCH RETURN (SAVE) SUBJECT lunch", "OK")
	if u := r.expect("w", "SORT (REVERSE DATE) UTF-8 $", "OK"); len(u) != 1 || u[0] != "* SORT 6 3 5" {
		t.Errorf("SORT of $: %q", u)
	}
	if u := r.expect("w", "UID THREAD REFERENCES UTF-8 $", "OK"); len(u) != 1 || u[0] != "* THREAD ((6)(4)(7))" {
		t.Errorf("THREAD of $: %q", u)
	}
}

func TestSortThreadErrors(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	// Selected state only (RFC 5256 §3 extends the selected-state commands).
	r.expect("a", "SORT (DATE) UTF-8 ALL", "BAD")
	r.expect("b", "THREAD REFERENCES UTF-8 ALL", "BAD")
	r.expect("c", "SELECT INBOX", "OK")
	if u := r.expect("d", "SORT (DATE) KOI8-R ALL", "NO [BADCHARSET (US-ASCII UTF-8)]"); len(u) != 0 {
		t.Errorf("untagged with BADCHARSET: %q", u)
	}
	r.expect("e", "THREAD ORDEREDSUBJECT ISO-8859-1 ALL", "NO [BADCHARSET")
	r.expect("f", "SORT (COLOUR) UTF-8 ALL", "BAD")
	r.expect("g", "THREAD X-JWZ UTF-8 ALL", "BAD")
	r.expect("h", "SORT (DATE) ALL", "BAD") // the charset is mandatory
	r.expect("i", "SORT RETURN (SAVE) (DATE) UTF-8 ALL", "BAD")
	// An empty mailbox.
	if u := r.expect("j", "SORT (DATE) UTF-8 ALL", "OK"); len(u) != 1 || u[0] != "* SORT" {
		t.Errorf("empty SORT: %q", u)
	}
	if u := r.expect("k", "UID THREAD REFERENCES UTF-8 ALL", "OK"); len(u) != 1 || u[0] != "* THREAD" {
		t.Errorf("empty THREAD: %q", u)
	}
	// The capabilities say so.
	u := r.expect("l", "CAPABILITY", "OK")
	for _, c := range []string{" SORT ", " SORT=DISPLAY ", " THREAD=ORDEREDSUBJECT ", " THREAD=REFERENCES ", " ESORT "} {
		if !strings.Contains(u[0]+" ", c) {
			t.Errorf("CAPABILITY lacks %q: %q", c, u[0])
		}
	}
}
