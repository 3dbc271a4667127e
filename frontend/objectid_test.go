package frontend

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// RFC 8474 OBJECTID through the real server. go-imap v2 (beta.8) knows the
// capability but none of the items, so the rest are raw transcripts.

var (
	mailboxIDCodeRe = regexp.MustCompile(`\[MAILBOXID \(([A-Za-z0-9_-]{1,255})\)\]`)
	statusIDRe      = regexp.MustCompile(`^\* STATUS "?([^" ]+)"? \(MAILBOXID \(([A-Za-z0-9_-]{1,255})\)\)$`)
	fetchIDsRe      = regexp.MustCompile(`^\* (\d+) FETCH \(.*EMAILID \(([A-Za-z0-9_-]{1,255})\) THREADID \(([A-Za-z0-9_-]{1,255})\)`)
)

// loginAs logs a raw connection in as user.
func (r *raw) loginAs(user string) {
	r.t.Helper()
	r.expect("L", "LOGIN "+user+` "`+testPassword+`"`, "OK")
}

// appendRaw appends msg to mailbox with a non-synchronising literal.
func (r *raw) appendOID(tag, mailbox, msg string) string {
	r.t.Helper()
	r.send(fmt.Sprintf("%s APPEND %s {%d+}\r\n%s\r\n", tag, mailbox, len(msg), msg))
	untagged, tagged := r.until(tag)
	if !strings.HasPrefix(tagged, tag+" OK") {
		r.t.Fatalf("APPEND: %q %q", tagged, untagged)
	}
	return tagged
}

// createID creates a mailbox and returns the MAILBOXID of its tagged OK.
func (r *raw) createID(tag, name string) string {
	r.t.Helper()
	_, tagged := r.cmd(tag, "CREATE "+name)
	m := mailboxIDCodeRe.FindStringSubmatch(tagged)
	if !strings.HasPrefix(tagged, tag+" OK") || m == nil {
		r.t.Fatalf("CREATE %s: %q, want OK [MAILBOXID (...)]", name, tagged)
	}
	return m[1]
}

// statusID returns the MAILBOXID that STATUS reports for name.
func (r *raw) statusID(tag, name string) string {
	r.t.Helper()
	untagged := r.expect(tag, "STATUS "+name+" (MAILBOXID)", "OK")
	if len(untagged) != 1 {
		r.t.Fatalf("STATUS %s: %q", name, untagged)
	}
	m := statusIDRe.FindStringSubmatch(untagged[0])
	if m == nil {
		r.t.Fatalf("STATUS %s: %q", name, untagged[0])
	}
	return m[2]
}

// fetchIDs returns the EMAILID and THREADID of every message by sequence
// number (index 0 is message 1).
func (r *raw) fetchIDs(tag string) (emails, threads []string) {
	r.t.Helper()
	untagged := r.expect(tag, "FETCH 1:* (EMAILID THREADID)", "OK")
	for i, l := range untagged {
		m := fetchIDsRe.FindStringSubmatch(l)
		if m == nil || m[1] != fmt.Sprint(i+1) {
			r.t.Fatalf("FETCH line %d: %q", i, l)
		}
		emails, threads = append(emails, m[2]), append(threads, m[3])
	}
	return emails, threads
}

func TestObjectIDCapability(t *testing.T) {
	e := newEnv(t)
	caps, err := e.client(t, nil).Capability().Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Has(imap.CapObjectID) {
		t.Errorf("OBJECTID not advertised: %v", caps)
	}
}

// TestObjectIDMailbox covers MAILBOXID (RFC 8474 §4): CREATE's response
// code, SELECT/EXAMINE's untagged OK, the STATUS item and LIST-STATUS,
// kept by RENAME, never reused by DELETE and CREATE of the same name.
func TestObjectIDMailbox(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()

	foo := r.createID("c1", "foo")
	if got := r.statusID("s1", "foo"); got != foo {
		t.Errorf("STATUS foo MAILBOXID %s, CREATE said %s", got, foo)
	}
	for _, cmd := range []string{"SELECT foo", "EXAMINE foo"} {
		untagged := r.expect("x", cmd, "OK")
		if !containsLine(untagged, "* OK [MAILBOXID ("+foo+")]") {
			t.Errorf("%s: no MAILBOXID response: %q", cmd, untagged)
		}
	}
	r.expect("u", "UNSELECT", "OK")

	r.expect("r1", "RENAME foo bar", "OK")
	if got := r.statusID("s2", "bar"); got != foo {
		t.Errorf("RENAME changed MAILBOXID: %s, was %s", got, foo)
	}
	foo2 := r.createID("c2", "foo")
	r.expect("d1", "DELETE foo", "OK")
	foo3 := r.createID("c3", "foo")
	inbox := r.statusID("s3", "INBOX")
	seen := map[string]string{}
	for name, id := range map[string]string{"bar": foo, "foo#2": foo2, "foo#3": foo3, "INBOX": inbox} {
		if other, dup := seen[id]; dup {
			t.Errorf("MAILBOXID %s given to %s and %s", id, other, name)
		}
		seen[id] = name
	}

	// RENAME INBOX moves the messages to a new mailbox (RFC 8474 §4): the
	// new one gets a new id, INBOX keeps its own.
	r.expect("r2", "RENAME INBOX oldinbox", "OK")
	if got := r.statusID("s4", "INBOX"); got != inbox {
		t.Errorf("INBOX MAILBOXID changed by RENAME INBOX: %s, was %s", got, inbox)
	}
	if got := r.statusID("s5", "oldinbox"); seen[got] != "" {
		t.Errorf("oldinbox reuses the MAILBOXID of %s", seen[got])
	}

	// LIST-STATUS (RFC 5819, RFC 8474 §4.3 example).
	untagged := r.expect("l1", `LIST "" "*" RETURN (STATUS (MAILBOXID MESSAGES))`, "OK")
	if !containsLine(untagged, "* STATUS bar (MAILBOXID ("+foo+") MESSAGES 0)") {
		t.Errorf("LIST RETURN STATUS: %q", untagged)
	}

	// Failures: no code on a failed CREATE, BAD for an unknown item.
	tests := []struct{ line, want string }{
		{"CREATE bar", "NO"},
		{"STATUS bar (MAILBOXID BOGUS)", "BAD"},
		{"STATUS bar (MAILBOXID", "BAD"},
		{"STATUS nosuch (MAILBOXID)", "NO"},
	}
	for i, tc := range tests {
		tag := fmt.Sprintf("f%d", i)
		_, tagged := r.cmd(tag, tc.line)
		if !strings.HasPrefix(tagged, tag+" "+tc.want) || strings.Contains(tagged, "MAILBOXID (") {
			t.Errorf("%s: %q, want %s", tc.line, tagged, tc.want)
		}
	}
}

func objectIDMsg(subject, msgID, extra string) string {
	return "From: a@example.com\r\nTo: b@example.com\r\nSubject: " + subject + "\r\nMessage-ID: <" + msgID + ">\r\n" +
		extra + "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nbody of " + subject + "\r\n"
}

// TestObjectIDMessages covers EMAILID and THREADID (RFC 8474 §5): FETCH,
// threading by In-Reply-To/References, COPY/MOVE keeping both, SEARCH
// (§6) with plain and extended (ESEARCH) results, bad ids, and another
// user's ids for the same content.
func TestObjectIDMessages(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	msgA := objectIDMsg("Message A", "a@example.com", "")
	r.appendOID("a1", "INBOX", msgA)
	r.appendOID("a2", "INBOX", objectIDMsg("Re: Message A", "b@example.org", "References: <a@example.com>\r\n"))
	r.appendOID("a3", "INBOX", objectIDMsg("Message C", "c@example.com", ""))
	r.expect("s", "SELECT INBOX", "OK")
	emails, threads := r.fetchIDs("f1")
	if len(emails) != 3 {
		t.Fatalf("fetched %d messages", len(emails))
	}
	if emails[0] == emails[1] || emails[1] == emails[2] || emails[0] == emails[2] {
		t.Errorf("EMAILIDs not distinct: %v", emails)
	}
	if threads[0] != threads[1] || threads[2] == threads[0] {
		t.Errorf("THREADIDs %v: want 1 and 2 together, 3 apart", threads)
	}
	for i := range emails {
		if emails[i] == threads[i] || emails[i][0] == '-' || (emails[i][0] >= '0' && emails[i][0] <= '9') {
			t.Errorf("message %d: EMAILID %s THREADID %s", i+1, emails[i], threads[i])
		}
	}

	// Other items and CONDSTORE are unaffected; UID FETCH adds the UID.
	// (MODSEQ enables CONDSTORE: an untagged HIGHESTMODSEQ may come first.)
	untagged := r.expect("f2", "UID FETCH 3 (MODSEQ EMAILID FLAGS)", "OK")
	last := untagged[len(untagged)-1]
	if !strings.HasPrefix(last, "* 3 FETCH (UID 3 MODSEQ (") || !strings.Contains(last, "EMAILID ("+emails[2]+") FLAGS (") {
		t.Errorf("UID FETCH: %q", untagged)
	}

	// A reply arriving later joins its parent's thread, through In-Reply-To.
	r.appendOID("a4", "INBOX", objectIDMsg("Re: Message C", "d@example.com", "In-Reply-To: <c@example.com>\r\n"))
	r.expect("n", "NOOP", "OK")
	emails, threads = r.fetchIDs("f3")
	if len(threads) != 4 || threads[3] != threads[2] {
		t.Errorf("reply to C: threads %v", threads)
	}

	// SEARCH (§6), plain and ESEARCH.
	searches := []struct{ line, want string }{
		{"SEARCH EMAILID " + emails[2], "* SEARCH 3"},
		{"SEARCH THREADID " + threads[0], "* SEARCH 1 2"},
		{"SEARCH OR EMAILID " + emails[0] + " EMAILID " + emails[3], "* SEARCH 1 4"},
		{"SEARCH NOT THREADID " + threads[0], "* SEARCH 3 4"},
		{"SEARCH EMAILID " + threads[0], "* SEARCH"},                 // a THREADID is no EMAILID
		{"SEARCH EMAILID " + strings.ToLower(emails[0]), "* SEARCH"}, // ids are case sensitive
		{"UID SEARCH RETURN (COUNT ALL) THREADID " + threads[2], "* ESEARCH (TAG \"e\") UID ALL 3:4 COUNT 2"},
		{"SORT (REVERSE SIZE) UTF-8 THREADID " + threads[0], "* SORT 2 1"},
		{"THREAD REFERENCES UTF-8 THREADID " + threads[0], "* THREAD (1 2)"},
	}
	for i, s := range searches {
		tag := "e"
		if !strings.HasPrefix(s.line, "UID") {
			tag = fmt.Sprintf("q%d", i)
		}
		untagged := r.expect(tag, s.line, "OK")
		if len(untagged) != 1 || untagged[0] != s.want {
			t.Errorf("%s: %q, want %q", s.line, untagged, s.want)
		}
	}
	bads := []string{
		"SEARCH EMAILID",
		"SEARCH EMAILID M.1",
		`SEARCH EMAILID "M1"`,
		"SEARCH THREADID T" + strings.Repeat("x", 255),
		"SEARCH THREADID (T1)",
		"FETCH 1 (EMAILID.PEEK)",
	}
	for i, line := range bads {
		tag := fmt.Sprintf("b%d", i)
		if _, tagged := r.cmd(tag, line); !strings.HasPrefix(tagged, tag+" BAD") {
			t.Errorf("%s: %q, want BAD", line, tagged)
		}
	}

	// COPY and MOVE keep EMAILID and THREADID (§5.1).
	r.expect("c", "COPY 1 Archive", "OK")
	r.expect("m", "MOVE 2 Archive", "OK")
	r.expect("x", "EXAMINE Archive", "OK")
	aEmails, aThreads := r.fetchIDs("f4")
	if len(aEmails) != 2 || aEmails[0] != emails[0] || aEmails[1] != emails[1] || aThreads[0] != threads[0] || aThreads[1] != threads[1] {
		t.Errorf("Archive ids %v %v, want %v %v", aEmails, aThreads, emails[:2], threads[:2])
	}

	// The same content appended again may share the EMAILID (§5.1 MAY)
	// and then must share the THREADID (§5.2 MUST).
	r.appendOID("a5", "Drafts", msgA)
	r.expect("x2", "EXAMINE Drafts", "OK")
	dEmails, dThreads := r.fetchIDs("f5")
	if dEmails[0] != emails[0] || dThreads[0] != threads[0] {
		t.Errorf("same content again: %s %s, first copy %s %s", dEmails[0], dThreads[0], emails[0], threads[0])
	}

	// Another user's copy of the same content gets other ids: ids do not
	// tell users they hold the same message (RFC 8474 §11).
	r2 := e.rawTLS(t)
	r2.loginAs("bob")
	r2.appendOID("a", "INBOX", msgA)
	r2.expect("s", "SELECT INBOX", "OK")
	bEmails, bThreads := r2.fetchIDs("f")
	if bEmails[0] == emails[0] || bThreads[0] == threads[0] {
		t.Errorf("bob's ids %s %s equal alice's", bEmails[0], bThreads[0])
	}
	if untagged := r2.expect("q", "SEARCH EMAILID "+emails[0], "OK"); len(untagged) != 1 || untagged[0] != "* SEARCH" {
		t.Errorf("bob finds alice's EMAILID: %q", untagged)
	}
}
