package main

import "testing"

// TestAnnotationsRealBinary: the real binary advertises METADATA, answers
// the server annotations of --admin-contact and --server-comment, and
// keeps mailbox and private server annotations across a restart.
func TestAnnotationsRealBinary(t *testing.T) {
	s := startServer(t, "", "--admin-contact", "mailto:postmaster@example.com", "--server-comment", "Hello from postbus")
	addUser(t, s.data, "ann", "pw")
	rc := dialRaw(t, s)
	runTranscript(t, rc, []step{
		{send: "a0 CAPABILITY\r\n", want: []string{` METADATA `, ` METADATA-SERVER `, ` LIST-METADATA`}},
		{send: "a1 LOGIN ann pw\r\n", want: []string{`a1 OK`}},
		{send: "a2 GETMETADATA \"\" (/shared/admin /shared/comment)\r\n", want: []string{
			`\* METADATA "" \(/shared/admin "mailto:postmaster@example.com" /shared/comment "Hello from postbus"\)`, `a2 OK`}},
		{send: "a3 SETMETADATA \"\" (/shared/admin \"mailto:me@example.com\")\r\n", want: []string{`a3 NO \[NOPERM\]`}},
		{send: "a4 SETMETADATA Sent (/private/comment \"sent mail\")\r\n", want: []string{`a4 OK`}},
		{send: "a5 SETMETADATA \"\" (/private/vendor/example/theme \"dark\")\r\n", want: []string{`a5 OK`}},
	})
	rc.c.Close()
	s.stop()

	s = startServer(t, s.data)
	rc = dialRaw(t, s)
	runTranscript(t, rc, []step{
		{send: "b1 LOGIN ann pw\r\n", want: []string{`b1 OK`}},
		{send: "b2 GETMETADATA Sent /private/comment\r\n", want: []string{`\* METADATA Sent \(/private/comment "sent mail"\)`, `b2 OK`}},
		{send: "b3 GETMETADATA \"\" (/private/vendor/example/theme /shared/admin)\r\n", want: []string{
			`\* METADATA "" \(/shared/admin NIL /private/vendor/example/theme "dark"\)`, `b3 OK`}},
		{send: "b4 LIST \"\" Sent RETURN (METADATA (/private/comment))\r\n", want: []string{
			`\* LIST \(.*\) "/" Sent\n\* METADATA Sent \(/private/comment "sent mail"\)\nb4 OK`}},
	})
}
