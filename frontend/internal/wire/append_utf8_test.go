package wire

import (
	"io"
	"testing"
)

// RFC 6855 §4: append-data =/ "UTF8" SP "(" literal8 ")".
func TestAppendUTF8(t *testing.T) {
	in := "a APPEND INBOX (\\Seen) UTF8 (~{4}\r\nhéy) utf8 (~{2+}\r\nok) {1}\r\nx\r\nn NOOP\r\n"
	d := newTestDecoder(in, DefaultLimits())
	readCommandName(t, d, "a", "APPEND")
	wants := []struct {
		body         string
		utf8, binary bool
	}{
		{"héy", true, true},
		{"ok", true, true},
		{"x", false, false},
	}
	for i, w := range wants {
		msg, err := d.ReadAppendMessage()
		if err != nil || msg == nil {
			t.Fatalf("message %d: %v, %v", i, msg, err)
		}
		if msg.UTF8 != w.utf8 || msg.Binary != w.binary {
			t.Errorf("message %d: UTF8 %v Binary %v, want %v %v", i, msg.UTF8, msg.Binary, w.utf8, w.binary)
		}
		body, err := io.ReadAll(msg.Body)
		if err != nil || string(body) != w.body {
			t.Fatalf("message %d body %q, %v; want %q", i, body, err, w.body)
		}
	}
	if msg, err := d.ReadAppendMessage(); msg != nil || err != nil {
		t.Fatalf("after last message: %v, %v", msg, err)
	}
	readCommandName(t, d, "n", "NOOP")
	if d.conts != 2 {
		t.Errorf("continuations = %d, want 2", d.conts)
	}
}

// Every malformed UTF8 data item is a BAD for the APPEND, and the decoder
// reads the next command normally afterwards.
func TestAppendUTF8Malformed(t *testing.T) {
	for _, tc := range []struct{ name, in, msg string }{
		{"plain literal", "a APPEND INBOX UTF8 ({3}\r\n", "literal8"},
		{"no paren", "a APPEND INBOX UTF8 ~{3}\r\n", "Expected ( after UTF8"},
		{"no space", "a APPEND INBOX UTF8(~{3}\r\n", "Expected message literal"},
		{"missing close", "a APPEND INBOX UTF8 (~{3+}\r\nabc\r\n", "Expected ) after UTF8"},
		{"missing close then more", "a APPEND INBOX UTF8 (~{3+}\r\nabc {1+}\r\nx\r\n", "Expected ) after UTF8"},
		{"nothing inside", "a APPEND INBOX UTF8 ()\r\n", "literal8"},
		{"keyword alone", "a APPEND INBOX UTF8\r\n", ""},
		{"string not literal", "a APPEND INBOX UTF8 (\"abc\")\r\n", "literal8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecoder(tc.in+"n NOOP\r\n", DefaultLimits())
			readCommandName(t, d, "a", "APPEND")
			var err error
			for {
				var msg *AppendMessage
				msg, err = d.ReadAppendMessage()
				if err != nil || msg == nil {
					break
				}
				if _, err = io.Copy(io.Discard, msg.Body); err != nil {
					break
				}
			}
			se := syntaxErr(t, err)
			if se.Tag != "a" || !contains(se.Msg, tc.msg) {
				t.Fatalf("got %+v, want tag a and %q", se, tc.msg)
			}
			readCommandName(t, d, "n", "NOOP")
		})
	}
}
