package frontend

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects log output from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FuzzSession sends arbitrary bytes as commands of a logged-in session
// with a selected mailbox. Whatever they are, the server must not panic,
// and a new connection must still work.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"a FETCH 1:* (FLAGS BODY.PEEK[1.2.MIME] BINARY[3]<0.10>)",
		"a SEARCH OR (FROM x TO y) NOT 1:* UID 2:4 $",
		"a STORE 1 +FLAGS.SILENT (\\Seen $x)",
		"a APPEND INBOX (\\Seen) {3+}\r\nabc",
		"a APPEND INBOX CATENATE (URL \";UID=1/;SECTION=1.MIME\" TEXT {3+}\r\nabc URL \"/INBOX/;UID=1/;PARTIAL=1.2\") CATENATE (TEXT ~{1+}\r\n\x00)",
		"a APPEND INBOX CATENATE (URL \"imap://alice@postbus/INBOX;UIDVALIDITY=1/;UID=1;URLAUTH=x\")",
		"a UID MOVE 1:* Trash",
		"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"*\" \"%\") RETURN (CHILDREN STATUS (MESSAGES SIZE))",
		"a IDLE\r\nDONE",
		"a AUTHENTICATE PLAIN\r\n*",
		"a SELECT \"&Jjo-\"",
		"a STATUS INBOX (MESSAGES UIDNEXT RECENT DELETED SIZE APPENDLIMIT)",
		"a UID FETCH $ (UID)",
		"a ENABLE IMAP4rev2 UTF8=ACCEPT",
		"a COPY 1 INBOX",
		"a UNSELECT\r\nb ENABLE QRESYNC\r\nc SELECT INBOX (QRESYNC (1 1 1:* (1:* 1:*)))\r\nd UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)\r\ne EXPUNGE",
		"a STORE 1:* (UNCHANGEDSINCE 0) +FLAGS.SILENT ($x)\r\nb SEARCH RETURN (ALL) OR MODSEQ 1 $",
		"a FETCH 1:* (FLAGS) (CHANGEDSINCE 1)\r\nb STATUS INBOX (HIGHESTMODSEQ)",
		"a SETMETADATA INBOX (/private/a ~{3+}\r\nx\x00y /shared/b NIL)\r\nb GETMETADATA (DEPTH infinity MAXSIZE 2) INBOX (/private /private/a)",
		"a LIST \"\" * RETURN (METADATA (/private/a MAXSIZE 1) STATUS (MESSAGES))\r\nb SETMETADATA \"\" (/shared/admin \"x\")",
		"\x00\xff{99}\r\n",
		// NOTIFY (RFC 5465): commands are read on a helper goroutine.
		"a NOTIFY SET STATUS (selected (MessageNew (UID ENVELOPE BODY.PEEK[HEADER]) MessageExpunge FlagChange)) (personal (MailboxName SubscriptionChange))\r\nb APPEND INBOX {3+}\r\nabc\r\nc CREATE x {1}\r\nd NOOP",
		"a NOTIFY SET (selected-delayed (MessageNew MessageExpunge)) (subtree (INBOX x) (MessageNew MessageExpunge))\r\nb STORE 1 +FLAGS (\\Deleted)\r\nc EXPUNGE\r\nd IDLE\r\nDONE\r\ne NOTIFY NONE",
	} {
		f.Add(s)
	}
	var logs lockedBuffer
	e := newEnv(f, func(c *Config) {
		c.InsecureAuth = true
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	seed := e.rawPlain(f)
	seed.login()
	seed.appendRaw("INBOX", "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b--\r\n")
	f.Fuzz(func(t *testing.T, input string) {
		c, err := net.Dial("tcp", e.imapAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := &raw{t: t, c: c, r: bufio.NewReader(c)}
		r.line()
		r.login()
		r.expect("s", "SELECT INBOX", "OK")
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, input+"\r\nzz9 LOGOUT\r\n")
		// EOF after the input, so that a half-sent literal ends the
		// session instead of waiting for octets that never come.
		c.(*net.TCPConn).CloseWrite()
		// Drain until the server closes: it either ran LOGOUT or gave up
		// on the input with a BYE; both are fine, a hang or panic is not.
		io.Copy(io.Discard, c)
		if strings.Contains(logs.String(), "panic") {
			t.Fatalf("server panicked on %q:\n%s", input, logs.String())
		}
	})
}
