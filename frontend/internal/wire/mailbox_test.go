package wire

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func TestMailboxNameMUTF7(t *testing.T) {
	cases := []struct{ utf8, wire string }{
		{"INBOX", "INBOX"},
		{"", ""},
		{"a&b", "a&-b"},
		{"&", "&-"},
		{"&&", "&-&-"},
		{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"}, // RFC 3501 §5.1.3
		{"Entwürfe", "Entw&APw-rfe"},
		{"été", "&AOk-t&AOk-"},
		{"Gesendete Objekte", "Gesendete Objekte"},
		{"😀 mail", "&2D3eAA- mail"}, // surrogate pair
		{"ü&ö", "&APw-&-&APY-"},
		{"\u0080x", "&AIA-x"},
	}
	for _, tc := range cases {
		if got := EncodeMailboxName(tc.utf8, false); got != tc.wire {
			t.Errorf("EncodeMailboxName(%q) = %q, want %q", tc.utf8, got, tc.wire)
		}
		got, err := DecodeMailboxName(tc.wire, false)
		if err != nil || got != tc.utf8 {
			t.Errorf("DecodeMailboxName(%q) = %q, %v, want %q", tc.wire, got, err, tc.utf8)
		}
		if got := EncodeMailboxName(tc.utf8, true); got != tc.utf8 {
			t.Errorf("EncodeMailboxName(%q, utf8) = %q", tc.utf8, got)
		}
		if got, err := DecodeMailboxName(tc.utf8, true); err != nil || got != tc.utf8 {
			t.Errorf("DecodeMailboxName(%q, utf8) = %q, %v", tc.utf8, got, err)
		}
	}
}

func TestMailboxNameInvalid(t *testing.T) {
	bad := []string{
		"&",           // unterminated
		"&AOk",        // unterminated
		"&AGE-",       // encodes printable ASCII "a"
		"&AOk=-",      // padding
		"&AO-",        // too short for a UTF-16 unit
		"&AOkA-",      // leftover bits
		"&AOl-",       // non-zero padding bits
		"&2D0-",       // lone high surrogate
		"&3gA-",       // lone low surrogate
		"&2D3YPQ-",    // high surrogate followed by high surrogate
		"&AOk/-",      // "/" is not modified base64
		"caf\xc3\xa9", // raw 8-bit without UTF-8 mode
		"a\x01b",      // control
		"a\x7fb",      // DEL
	}
	for _, s := range bad {
		if got, err := DecodeMailboxName(s, false); !errors.Is(err, ErrMailboxName) {
			t.Errorf("DecodeMailboxName(%q) = %q, %v, want ErrMailboxName", s, got, err)
		}
	}
	if _, err := DecodeMailboxName("caf\xe9", true); !errors.Is(err, ErrMailboxName) {
		t.Errorf("invalid UTF-8 accepted in UTF-8 mode: %v", err)
	}
	// In UTF-8 mode "&" is an ordinary character.
	if got, err := DecodeMailboxName("a&b", true); err != nil || got != "a&b" {
		t.Errorf("UTF-8 mode: %q, %v", got, err)
	}
}

// FuzzMailboxName checks that decoding never panics and that whatever
// decodes re-encodes to a name that decodes to the same string.
func FuzzMailboxName(f *testing.F) {
	for _, s := range []string{"INBOX", "&-", "~peter/mail/&U,BTFw-/&ZeVnLIqe-", "&2D3eAA-", "&AGE-", "a&b", "&AOk"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name, err := DecodeMailboxName(raw, false)
		if err == nil {
			back, err := DecodeMailboxName(EncodeMailboxName(name, false), false)
			if err != nil || back != name {
				t.Fatalf("round trip of %q: %q, %v", name, back, err)
			}
		}
		if utf8.ValidString(raw) {
			enc := EncodeMailboxName(raw, false)
			back, err := DecodeMailboxName(enc, false)
			if err != nil || back != raw {
				// Every rune outside printable ASCII (controls included)
				// goes into a shifted run, so the round trip must hold.
				t.Fatalf("encode/decode of %q via %q: %q, %v", raw, enc, back, err)
			}
		}
	})
}
