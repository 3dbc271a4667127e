package frontend

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"
)

// setLiteral sends SETMETADATA with one value as a synchronising literal
// and returns the tagged response; the continuation is awaited unless the
// server answers first.
func (r *raw) setLiteral(tag, mailbox, entry, value string, binary bool) string {
	r.t.Helper()
	lit := fmt.Sprintf("{%d}", len(value))
	if binary {
		lit = "~" + lit
	}
	r.send(tag + " SETMETADATA " + mailbox + " (" + entry + " " + lit + "\r\n")
	if l := r.line(); !strings.HasPrefix(l, "+ ") {
		return l
	}
	r.send(value + ")\r\n")
	_, tagged := r.until(tag)
	return tagged
}

// TestMetadataTranscript: GETMETADATA and SETMETADATA (RFC 5464) over
// TLS: values as quoted strings, literals and literal8, NIL, case, DEPTH,
// MAXSIZE with LONGENTRIES, server annotations, and the refusals.
func TestMetadataTranscript(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.AdminContact = "mailto:postmaster@example.com"
		c.ServerComment = "Maintenance on Sunday"
	})
	r := e.rawTLS(t)
	u := r.expect("c0", "CAPABILITY", "OK")
	for _, cp := range metadataCaps {
		if !strings.Contains(u[0]+" ", " "+cp+" ") {
			t.Errorf("CAPABILITY lacks %s: %q", cp, u[0])
		}
	}
	r.expect("c1", `GETMETADATA "" /shared/comment`, "BAD") // not authenticated
	r.login()
	// ENABLE METADATA: accepted, not enabled (no unsolicited responses).
	if u := r.expect("c2", "ENABLE METADATA", "OK"); !reflect.DeepEqual(u, []string{"* ENABLED"}) {
		t.Errorf("ENABLE METADATA: %q", u)
	}

	steps := []struct {
		tag, cmd, want string
		untagged       []string
	}{
		// Nothing set: NIL for each requested entry (§4.4.1).
		{"a1", `GETMETADATA INBOX (/private/comment /shared/comment)`, "OK",
			[]string{`* METADATA INBOX (/private/comment NIL /shared/comment NIL)`}},
		{"a2", `SETMETADATA INBOX (/private/comment "My comment" /Shared/Comment "Its sunny outside!")`, "OK", nil},
		{"a3", `getmetadata "inbox" /PRIVATE/COMMENT`, "OK",
			[]string{`* METADATA INBOX (/private/comment "My comment")`}},
		{"a4", `GETMETADATA INBOX (/shared/comment /private/comment)`, "OK",
			[]string{`* METADATA INBOX (/shared/comment "Its sunny outside!" /private/comment "My comment")`}},
		// MAXSIZE leaves the longer value out and reports it (§4.2.1).
		{"a5", `GETMETADATA (MAXSIZE 10) INBOX (/shared/comment /private/comment)`, "OK [METADATA LONGENTRIES 18]",
			[]string{`* METADATA INBOX (/private/comment "My comment")`}},
		{"a6", `GETMETADATA (MAXSIZE 1) INBOX /shared/comment`, "OK [METADATA LONGENTRIES 18]", nil},
		// DEPTH (§4.2.2).
		{"b1", `SETMETADATA INBOX (/private/filters/values/small "SMALLER 5000" /private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/boss/x "y")`, "OK", nil},
		{"b2", `GETMETADATA (DEPTH 1) INBOX (/private/filters/values)`, "OK",
			[]string{`* METADATA INBOX (/private/filters/values/boss "FROM \"boss@example.com\"" /private/filters/values/small "SMALLER 5000")`}},
		{"b3", `GETMETADATA (DEPTH infinity MAXSIZE 20) INBOX /private/filters`, "OK [METADATA LONGENTRIES 23]",
			[]string{`* METADATA INBOX (/private/filters/values/boss/x "y" /private/filters/values/small "SMALLER 5000")`}},
		{"b4", `GETMETADATA (DEPTH 0) INBOX /private/filters`, "OK", []string{`* METADATA INBOX (/private/filters NIL)`}},
		// NIL deletes (§4.3).
		{"b5", `SETMETADATA INBOX (/private/filters/values/boss/x NIL /private/never-set NIL)`, "OK", nil},
		{"b6", `GETMETADATA INBOX /private/filters/values/boss/x`, "OK", []string{`* METADATA INBOX (/private/filters/values/boss/x NIL)`}},
		// Server annotations: /shared from the configuration, read-only;
		// /private the user's own.
		{"s1", `GETMETADATA "" (/shared/admin /shared/comment /private/comment)`, "OK",
			[]string{`* METADATA "" (/shared/admin "mailto:postmaster@example.com" /shared/comment "Maintenance on Sunday" /private/comment NIL)`}},
		{"s2", `SETMETADATA "" (/shared/comment "mine now")`, "NO [NOPERM]", nil},
		{"s3", `SETMETADATA "" (/private/vendor/example/theme dark)`, "BAD", nil}, // an atom is not a value
		{"s4", `SETMETADATA "" (/private/vendor/example/theme "dark")`, "OK", nil},
		{"s5", `GETMETADATA (DEPTH infinity) "" /private/vendor`, "OK",
			[]string{`* METADATA "" (/private/vendor/example/theme "dark")`}},
		{"s6", `GETMETADATA (MAXSIZE 4) "" (/shared/admin /shared/comment)`, "OK [METADATA LONGENTRIES 29]", nil},
		// Invalid entry names are BAD in both commands (§3.2).
		{"e1", `GETMETADATA INBOX /comment`, "BAD", nil},
		{"e2", `GETMETADATA INBOX /shared`, "BAD", nil},
		{"e3", `GETMETADATA INBOX "/shared//comment"`, "BAD", nil},
		{"e4", `GETMETADATA INBOX /shared/comment/`, "BAD", nil},
		{"e5", `GETMETADATA INBOX "/shared/comm*"`, "BAD", nil},
		{"e6", `SETMETADATA INBOX ("/private/comm%" "x")`, "BAD", nil},
		{"e7", `SETMETADATA INBOX ("/private/c` + "\xc3\xb6" + `" "x")`, "BAD", nil},
		{"e8", `GETMETADATA (DEPTH 2) INBOX /private/comment`, "BAD", nil},
		{"e9", `GETMETADATA (FROB) INBOX /private/comment`, "BAD", nil},
		{"e10", `SETMETADATA INBOX ()`, "BAD", nil},
		// Missing mailboxes (§3.3).
		{"n1", `GETMETADATA Nope /private/comment`, "NO [NONEXISTENT]", nil},
		{"n2", `SETMETADATA Nope (/private/comment "x")`, "NO [NONEXISTENT]", nil},
	}
	for _, s := range steps {
		u := r.expect(s.tag, s.cmd, s.want)
		if s.untagged != nil && !reflect.DeepEqual(u, s.untagged) {
			t.Errorf("%s %s:\n got  %q\n want %q", s.tag, s.cmd, u, s.untagged)
		}
		if s.untagged == nil && len(u) > 0 {
			t.Errorf("%s %s: unexpected %q", s.tag, s.cmd, u)
		}
	}

	// Literals: a multi-line value (§4.3 example) and a binary literal8,
	// which comes back as a literal8 since only that can carry NUL.
	if got := r.setLiteral("l1", "INBOX", "/private/comment", "My new comment across\r\ntwo lines.\r\n", false); !strings.HasPrefix(got, "l1 OK") {
		t.Fatalf("literal value: %q", got)
	}
	u = r.expect("l2", "GETMETADATA INBOX /private/comment", "OK")
	if want := "* METADATA INBOX (/private/comment {35}\r\nMy new comment across\r\ntwo lines.\r\n)"; len(u) != 1 || u[0] != want {
		t.Errorf("literal value back: %q", u)
	}
	if got := r.setLiteral("l3", "INBOX", "/private/bin", "a\x00b\xff", true); !strings.HasPrefix(got, "l3 OK") {
		t.Fatalf("literal8 value: %q", got)
	}
	u = r.expect("l4", "GETMETADATA INBOX /private/bin", "OK")
	if want := "* METADATA INBOX (/private/bin ~{4}\r\na\x00b\xff)"; len(u) != 1 || u[0] != want {
		t.Errorf("literal8 value back: %q", u)
	}
	r.expect("l5", "SETMETADATA INBOX (/private/nul {1+}\r\n\x00)", "BAD") // NUL needs literal8
}

// TestMetadataLimits: the value size limit answers NO [METADATA MAXSIZE]
// whether the decoder refuses the literal unread or the session checks
// it; TOOMANY past the entries of a mailbox; nothing is written by a
// refused command, and the connection stays usable.
func TestMetadataLimits(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.MaxSmallLiteral = 128 << 10 })
	r := e.rawTLS(t)
	r.login()
	// Over the decoder's literal limit: refused before the continuation.
	if got := r.setLiteral("m1", "INBOX", "/private/big", strings.Repeat("x", 128<<10+1), false); got != "m1 NO [METADATA MAXSIZE 65536] annotation value too large" {
		t.Fatalf("literal over MaxSmallLiteral: %q", got)
	}
	// Non-synchronising: read, discarded with the rest of the command.
	r.send("m2 SETMETADATA INBOX (/private/big {131073+}\r\n" + strings.Repeat("x", 128<<10+1) + " /private/small \"s\")\r\n")
	if _, tagged := r.until("m2"); !strings.HasPrefix(tagged, "m2 NO [METADATA MAXSIZE 65536]") {
		t.Fatalf("non-sync literal over MaxSmallLiteral: %q", tagged)
	}
	// Within the decoder's limit but over the annotation limit; the
	// other entry of the command is not written either.
	if got := r.setLiteral("m3", "INBOX", "/private/big", strings.Repeat("x", 64<<10+1), false); !strings.HasPrefix(got, "m3 NO [METADATA MAXSIZE 65536]") {
		t.Fatalf("value over 64 KiB: %q", got)
	}
	if got := r.setLiteral("m4", "INBOX", "/private/big", strings.Repeat("x", 64<<10), false); !strings.HasPrefix(got, "m4 OK") {
		t.Fatalf("value of 64 KiB: %q", got)
	}
	if u := r.expect("m5", `GETMETADATA (MAXSIZE 100) INBOX (/private/big /private/small)`, "OK [METADATA LONGENTRIES 65536]"); !reflect.DeepEqual(u, []string{"* METADATA INBOX (/private/small NIL)"}) {
		t.Errorf("after refusals: %q", u)
	}

	// TOOMANY: a mailbox takes 100 entries (INBOX already has one).
	var b strings.Builder
	for i := range 99 {
		fmt.Fprintf(&b, " /private/e%d \"v\"", i)
	}
	r.expect("t1", "SETMETADATA Sent ("+b.String()[1:]+` /private/big "v")`, "OK")
	r.expect("t2", `SETMETADATA Sent (/private/one-more "v")`, "NO [METADATA TOOMANY]")
	r.expect("t3", `SETMETADATA Sent (/private/e0 NIL /private/one-more "v")`, "OK") // swap at the limit
	r.expect("t4", `GETMETADATA Sent (/private/e0 /private/one-more)`, "OK")
	r.expect("t5", "NOOP", "OK")
}

// TestMetadataFollowsMailbox: annotations follow RENAME, RENAME INBOX
// copies them (RFC 5464 §4.1), DELETE drops them (a new mailbox of the
// same name has none), and another user never sees them.
func TestMetadataFollowsMailbox(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.expect("a1", "CREATE Projects", "OK")
	r.expect("a2", `SETMETADATA Projects (/shared/comment "work" /private/color "#ff0000")`, "OK")
	r.expect("a3", `SETMETADATA INBOX (/private/comment "inbox note")`, "OK")
	r.expect("a4", `SETMETADATA "" (/private/comment "server note")`, "OK")
	r.expect("a5", "RENAME Projects Archive/Projects", "OK")
	u := r.expect("a6", "GETMETADATA Archive/Projects (/shared/comment /private/color)", "OK")
	if !reflect.DeepEqual(u, []string{`* METADATA Archive/Projects (/shared/comment "work" /private/color "#ff0000")`}) {
		t.Errorf("after RENAME: %q", u)
	}
	r.expect("a7", "CREATE Projects", "OK")
	if u := r.expect("a8", "GETMETADATA Projects /shared/comment", "OK"); u[0] != `* METADATA Projects (/shared/comment NIL)` {
		t.Errorf("new mailbox at the old name: %q", u)
	}
	r.expect("a9", "RENAME INBOX Old-Inbox", "OK")
	u = r.expect("a10", "GETMETADATA Old-Inbox /private/comment", "OK")
	u = append(u, r.expect("a11", "GETMETADATA INBOX /private/comment", "OK")...)
	if !reflect.DeepEqual(u, []string{`* METADATA Old-Inbox (/private/comment "inbox note")`, `* METADATA INBOX (/private/comment "inbox note")`}) {
		t.Errorf("after RENAME INBOX: %q", u)
	}
	// Non-ASCII names: modified UTF-7 both ways for an IMAP4rev1 client,
	// in the selected state too.
	r.expect("u1", `CREATE "Entw&APw-rfe"`, "OK")
	r.expect("u2", `SELECT "Entw&APw-rfe"`, "OK")
	r.expect("u3", `SETMETADATA "Entw&APw-rfe" (/private/comment "drafts")`, "OK")
	if u := r.expect("u4", `GETMETADATA "Entw&APw-rfe" /private/comment`, "OK"); u[0] != `* METADATA Entw&APw-rfe (/private/comment "drafts")` {
		t.Errorf("non-ASCII mailbox: %q", u)
	}
	r.expect("u5", "UID GETMETADATA INBOX /private/comment", "BAD")
	r.expect("u6", "UNSELECT", "OK")
	r.expect("b1", "DELETE Archive/Projects", "OK")
	r.expect("b2", "GETMETADATA Archive/Projects /shared/comment", "NO [NONEXISTENT]")
	r.expect("b3", "CREATE Archive/Projects", "OK")
	if u := r.expect("b4", "GETMETADATA Archive/Projects (/shared/comment /private/color)", "OK"); u[0] != `* METADATA Archive/Projects (/shared/comment NIL /private/color NIL)` {
		t.Errorf("recreated after DELETE: %q", u)
	}

	// bob has the same mailbox names and sees none of alice's entries,
	// server ones included.
	rb := e.rawTLS(t)
	if _, tagged := rb.cmd("L", `LOGIN bob "`+testPassword+`"`); !strings.HasPrefix(tagged, "L OK") {
		t.Fatalf("bob LOGIN: %s", tagged)
	}
	u = rb.expect("c1", "GETMETADATA INBOX /private/comment", "OK")
	u = append(u, rb.expect("c2", `GETMETADATA "" /private/comment`, "OK")...)
	if !reflect.DeepEqual(u, []string{`* METADATA INBOX (/private/comment NIL)`, `* METADATA "" (/private/comment NIL)`}) {
		t.Errorf("bob sees: %q", u)
	}
	rb.expect("c3", "GETMETADATA Old-Inbox /private/comment", "NO [NONEXISTENT]")
	rb.expect("c4", `SETMETADATA INBOX (/private/comment "bob's")`, "OK")
	if u := r.expect("c5", "GETMETADATA INBOX /private/comment", "OK"); u[0] != `* METADATA INBOX (/private/comment "inbox note")` {
		t.Errorf("alice after bob's SETMETADATA: %q", u)
	}
}

// TestListMetadata: LIST RETURN (METADATA ...) (RFC 9590) follows each
// listed mailbox's LIST response with its METADATA, MAXSIZE applies, and
// entries are checked as in GETMETADATA.
func TestListMetadata(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.expect("a1", `SETMETADATA INBOX (/private/comment "inbox" /shared/vendor/x/color "red")`, "OK")
	r.expect("a2", `SETMETADATA Sent (/private/comment "a much longer sent comment")`, "OK")
	u := r.expect("a3", `LIST "" "*" RETURN (METADATA (/private/comment /shared/vendor/x/color))`, "OK")
	want := []string{
		`* LIST (\HasNoChildren \Archive) "/" Archive`,
		`* METADATA Archive (/private/comment NIL /shared/vendor/x/color NIL)`,
		`* LIST (\HasNoChildren \Drafts) "/" Drafts`,
		`* METADATA Drafts (/private/comment NIL /shared/vendor/x/color NIL)`,
		`* LIST (\HasNoChildren) "/" INBOX`,
		`* METADATA INBOX (/private/comment "inbox" /shared/vendor/x/color "red")`,
		`* LIST (\HasNoChildren \Junk) "/" Junk`,
		`* METADATA Junk (/private/comment NIL /shared/vendor/x/color NIL)`,
		`* LIST (\HasNoChildren \Sent) "/" Sent`,
		`* METADATA Sent (/private/comment "a much longer sent comment" /shared/vendor/x/color NIL)`,
		`* LIST (\HasNoChildren \Trash) "/" Trash`,
		`* METADATA Trash (/private/comment NIL /shared/vendor/x/color NIL)`,
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("LIST RETURN METADATA:\n got  %q\n want %q", u, want)
	}
	u = r.expect("a4", `LIST "" "S*" RETURN (SUBSCRIBED METADATA (/private/comment MAXSIZE 10))`, "OK [METADATA LONGENTRIES 26]")
	if want := []string{`* LIST (\HasNoChildren \Sent \Subscribed) "/" Sent`}; !reflect.DeepEqual(u, want) {
		t.Errorf("LIST RETURN METADATA MAXSIZE: %q", u)
	}
	u = r.expect("a5", `LIST "" INBOX RETURN (STATUS (MESSAGES) METADATA (/private/comment))`, "OK")
	if want := []string{`* LIST (\HasNoChildren) "/" INBOX`, `* STATUS INBOX (MESSAGES 0)`, `* METADATA INBOX (/private/comment "inbox")`}; !reflect.DeepEqual(u, want) {
		t.Errorf("LIST RETURN STATUS METADATA: %q", u)
	}
	// A subscribed name with no mailbox gets no METADATA.
	r.expect("a6", "SUBSCRIBE Gone", "OK")
	u = r.expect("a7", `LIST (SUBSCRIBED) "" Gone RETURN (METADATA (/private/comment))`, "OK")
	if want := []string{`* LIST (\NonExistent \Subscribed) "/" Gone`}; !reflect.DeepEqual(u, want) {
		t.Errorf("LIST of a subscribed missing mailbox: %q", u)
	}
	r.expect("b1", `LIST "" * RETURN (METADATA (/comment))`, "BAD")
	r.expect("b2", `LIST "" * RETURN (METADATA ())`, "BAD")
	r.expect("b3", `LIST "" * RETURN (METADATA (MAXSIZE 1))`, "BAD")
}

// TestMetadataClient: go-imap v2's client sets, reads and deletes
// annotations, with DEPTH and MAXSIZE, on a mailbox and on the server.
func TestMetadataClient(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ServerComment = "hello" })
	c := e.client(t, nil)
	caps, err := c.Capability().Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Has("METADATA") || !caps.Has("METADATA-SERVER") || !caps.Has("LIST-METADATA") {
		t.Fatalf("capabilities: %v", caps)
	}
	val := func(s string) *[]byte { b := []byte(s); return &b }
	multi := "line one\r\nline two"
	if err := c.SetMetadata("INBOX", map[string]*[]byte{
		"/private/comment": val(multi), "/shared/comment": val("shared"), "/private/a/b": val("deep"),
	}).Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetMetadata("INBOX", []string{"/private/comment", "/shared/comment", "/private/missing"}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*[]byte{"/private/comment": val(multi), "/shared/comment": val("shared"), "/private/missing": nil}
	if got.Mailbox != "INBOX" || !reflect.DeepEqual(got.Entries, want) {
		t.Fatalf("GETMETADATA: %+v", got)
	}
	maxSize := uint32(6)
	got, err = c.GetMetadata("INBOX", []string{"/private/a", "/private/comment"}, &imapclient.GetMetadataOptions{MaxSize: &maxSize, Depth: imapclient.GetMetadataDepthOne}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]*[]byte{"/private/a/b": val("deep")}; !reflect.DeepEqual(got.Entries, want) {
		t.Fatalf("GETMETADATA DEPTH 1 MAXSIZE 6: %+v", got.Entries)
	}
	if err := c.SetMetadata("INBOX", map[string]*[]byte{"/private/comment": nil}).Wait(); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetMetadata("", []string{"/shared/comment", "/private/comment"}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]*[]byte{"/shared/comment": val("hello"), "/private/comment": nil}; !reflect.DeepEqual(got.Entries, want) {
		t.Fatalf("server GETMETADATA: %+v", got.Entries)
	}
	if err := c.SetMetadata("", map[string]*[]byte{"/shared/comment": val("x")}).Wait(); err == nil {
		t.Fatal("SETMETADATA of a server /shared entry succeeded")
	}
}
