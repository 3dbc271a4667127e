package wire

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// readCommandName reads a command and checks its tag and name.
func readCommandName(t *testing.T, d *testDecoder, tag, name string) *Command {
	t.Helper()
	cmd, err := d.ReadCommand()
	if err != nil {
		t.Fatalf("ReadCommand: %v", err)
	}
	if cmd.Tag != tag || cmd.Name != name {
		t.Fatalf("got %s %s, want %s %s", cmd.Tag, cmd.Name, tag, name)
	}
	return cmd
}

func TestAppendMulti(t *testing.T) {
	in := "a APPEND \"Sent Items\" (\\Seen $Fwd) \"17-Jul-1996 02:44:25 -0700\" {5}\r\nhello" +
		" {3+}\r\nabc" +
		" (\\Draft) ~{4}\r\nb\x00\x01c" +
		" \" 2-Jan-2021 10:00:00 +0000\" {0}\r\n" +
		"\r\nn NOOP\r\n"
	d := newTestDecoder(in, DefaultLimits())
	cmd := readCommandName(t, d, "a", "APPEND")
	if got := cmd.Args.(*AppendArgs).Mailbox; got != "Sent Items" {
		t.Fatalf("mailbox %q", got)
	}
	type want struct {
		flags  []string
		date   time.Time
		body   string
		binary bool
		conts  int // continuations after reading the body
	}
	wants := []want{
		{[]string{`\Seen`, "$Fwd"}, time.Date(1996, 7, 17, 2, 44, 25, 0, time.FixedZone("", -7*3600)), "hello", false, 1},
		{nil, time.Time{}, "abc", false, 1},
		{[]string{`\Draft`}, time.Time{}, "b\x00\x01c", true, 2},
		{nil, time.Date(2021, 1, 2, 10, 0, 0, 0, time.UTC), "", false, 3},
	}
	for i, w := range wants {
		before := d.conts
		msg, err := d.ReadAppendMessage()
		if err != nil || msg == nil {
			t.Fatalf("message %d: %v, %v", i, msg, err)
		}
		if d.conts != before {
			t.Fatalf("message %d: continuation sent before the body was read", i)
		}
		body, err := io.ReadAll(msg.Body)
		if err != nil {
			t.Fatalf("message %d body: %v", i, err)
		}
		if string(body) != w.body || msg.Size != int64(len(w.body)) || msg.Binary != w.binary ||
			!equalStrings(msg.Flags, w.flags) || !msg.Date.Equal(w.date) {
			t.Errorf("message %d = %+v body %q, want %+v", i, msg, body, w)
		}
		if i != 3 && d.conts != w.conts {
			t.Errorf("message %d: %d continuations, want %d", i, d.conts, w.conts)
		}
	}
	msg, err := d.ReadAppendMessage()
	if msg != nil || err != nil {
		t.Fatalf("end of APPEND: %v, %v", msg, err)
	}
	if d.conts != 3 {
		t.Errorf("continuations = %d, want 3", d.conts)
	}
	readCommandName(t, d, "n", "NOOP")
}

// TestAppendZeroSyncLiteral checks that a synchronising {0} is still
// accepted even if the caller never calls Read on the empty body.
func TestAppendZeroSyncLiteral(t *testing.T) {
	d := newTestDecoder("a APPEND INBOX {0}\r\n\r\nn NOOP\r\n", DefaultLimits())
	readCommandName(t, d, "a", "APPEND")
	msg, err := d.ReadAppendMessage()
	if err != nil || msg.Size != 0 {
		t.Fatalf("%+v %v", msg, err)
	}
	if msg, err := d.ReadAppendMessage(); msg != nil || err != nil {
		t.Fatalf("end: %v %v", msg, err)
	}
	if d.conts != 1 {
		t.Errorf("continuations = %d, want 1", d.conts)
	}
	readCommandName(t, d, "n", "NOOP")
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAppendRefused covers a caller refusing the APPEND (SkipCommand) and
// the decoder refusing a message.
func TestAppendRefused(t *testing.T) {
	lim := smallLimits() // MaxLiteral 1000, MaxNonSyncLiteral 100
	cases := []struct {
		name string
		in   string
		// step: "skip" (caller refuses after ReadCommand), "skip-after-msg"
		// (after ReadAppendMessage, before reading), "skip-partial" (after
		// reading 2 octets), "read" (ReadAppendMessage until error).
		step    string
		wantErr string // substring of the SyntaxError, for "read"
		code    string
		conts   int
	}{
		{"skip sync", "a APPEND nosuch {5}\r\nn NOOP\r\n", "skip", "", "", 0},
		{"skip nonsync", "a APPEND nosuch (\\Seen) {5+}\r\nhello {3+}\r\nabc\r\nn NOOP\r\n", "skip", "", "", 0},
		{"skip nonsync then sync", "a APPEND nosuch {5+}\r\nhello {3}\r\nn NOOP\r\n", "skip", "", "", 0},
		{"skip after msg sync", "a APPEND x {5}\r\nn NOOP\r\n", "skip-after-msg", "", "", 0},
		{"skip after msg nonsync", "a APPEND x {5+}\r\nhello {2+}\r\nab\r\nn NOOP\r\n", "skip-after-msg", "", "", 0},
		{"skip partial", "a APPEND x {5}\r\nhello {2+}\r\nab\r\nn NOOP\r\n", "skip-partial", "", "", 1},
		{"too big sync", "a APPEND x {1001}\r\nn NOOP\r\n", "read", "too big", "TOOBIG", 0},
		{"too big nonsync discarded", "a APPEND x {150+}\r\n" + strings.Repeat("x", 150) + " {3+}\r\nabc\r\nn NOOP\r\n", "read", "too big", "TOOBIG", 0},
		{"second too big", "a APPEND x {2+}\r\nab {1001}\r\nn NOOP\r\n", "read", "too big", "TOOBIG", 0},
		{"missing message", "a APPEND x\r\nn NOOP\r\n", "read", "Missing message", "", 0},
		{"bad date", "a APPEND x \"32-Jan-2020 00:00:00 +0000\" {3+}\r\nabc\r\nn NOOP\r\n", "read", "Invalid date-time", "", 0},
		{"bad flags", "a APPEND x (\\Seen {3}\r\nn NOOP\r\n", "read", "", "", 0},
		{"no literal", "a APPEND x (\\Seen) hello\r\nn NOOP\r\n", "read", "Expected message literal", "", 0},
		{"literal not last", "a APPEND x {3} y\r\nn NOOP\r\n", "read", "Literal must end", "", 0},
		{"garbage after message", "a APPEND x {3+}\r\nabcFOO\r\nn NOOP\r\n", "read", "Expected SP", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecoder(tc.in, lim)
			readCommandName(t, d, "a", "APPEND")
			switch tc.step {
			case "skip":
				if err := d.SkipCommand(); err != nil {
					t.Fatal(err)
				}
			case "skip-after-msg", "skip-partial":
				msg, err := d.ReadAppendMessage()
				if err != nil {
					t.Fatal(err)
				}
				if tc.step == "skip-partial" {
					if _, err := io.ReadFull(msg.Body, make([]byte, 2)); err != nil {
						t.Fatal(err)
					}
				}
				if err := d.SkipCommand(); err != nil {
					t.Fatal(err)
				}
			case "read":
				var err error
				for err == nil {
					var msg *AppendMessage
					msg, err = d.ReadAppendMessage()
					if err == nil && msg == nil {
						t.Fatal("APPEND ended without error")
					}
					if err == nil {
						if _, err = io.ReadAll(msg.Body); err != nil {
							t.Fatal(err)
						}
					}
				}
				se := syntaxErr(t, err)
				if se.Tag != "a" || !contains(se.Msg, tc.wantErr) || se.Code != tc.code {
					t.Fatalf("got %+v, want %q code %q", se, tc.wantErr, tc.code)
				}
			}
			if d.conts != tc.conts {
				t.Errorf("continuations = %d, want %d", d.conts, tc.conts)
			}
			readCommandName(t, d, "n", "NOOP")
			if _, err := d.ReadCommand(); err != io.EOF {
				t.Errorf("at end: %v", err)
			}
		})
	}
}

// TestAppendFatal covers errors that end the connection.
func TestAppendFatal(t *testing.T) {
	lim := smallLimits()
	t.Run("nonsync far too big", func(t *testing.T) {
		d := newTestDecoder("a APPEND x {201+}\r\n"+strings.Repeat("x", 201)+"\r\n", lim)
		readCommandName(t, d, "a", "APPEND")
		_, err := d.ReadAppendMessage()
		if !errors.Is(err, ErrLiteralTooBig) {
			t.Fatalf("got %v, want ErrLiteralTooBig", err)
		}
		var se *SyntaxError
		if errors.As(err, &se) {
			t.Fatalf("got a SyntaxError, want a fatal error")
		}
	})
	t.Run("truncated body", func(t *testing.T) {
		d := newTestDecoder("a APPEND x {10+}\r\nabc", lim)
		readCommandName(t, d, "a", "APPEND")
		msg, err := d.ReadAppendMessage()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(msg.Body); err != io.ErrUnexpectedEOF {
			t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
		}
	})
	t.Run("truncated after body", func(t *testing.T) {
		d := newTestDecoder("a APPEND x {3+}\r\nabc", lim)
		readCommandName(t, d, "a", "APPEND")
		msg, _ := d.ReadAppendMessage()
		if _, err := io.ReadAll(msg.Body); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ReadAppendMessage(); err != io.ErrUnexpectedEOF {
			t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
		}
	})
	t.Run("body not consumed", func(t *testing.T) {
		d := newTestDecoder("a APPEND x {3+}\r\nabc\r\n", lim)
		readCommandName(t, d, "a", "APPEND")
		if _, err := d.ReadAppendMessage(); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ReadAppendMessage(); !errors.Is(err, ErrAppendState) {
			t.Fatalf("got %v, want ErrAppendState", err)
		}
	})
	t.Run("no append", func(t *testing.T) {
		d := newTestDecoder("", lim)
		if _, err := d.ReadAppendMessage(); !errors.Is(err, ErrAppendState) {
			t.Fatalf("got %v, want ErrAppendState", err)
		}
	})
}

// TestAppendAbandoned checks that ReadCommand skips an APPEND the caller
// left unfinished.
func TestAppendAbandoned(t *testing.T) {
	d := newTestDecoder("a APPEND x {3+}\r\nabc {4+}\r\nabcd\r\nn NOOP\r\n", smallLimits())
	readCommandName(t, d, "a", "APPEND")
	if _, err := d.ReadAppendMessage(); err != nil {
		t.Fatal(err)
	}
	readCommandName(t, d, "n", "NOOP")
}
