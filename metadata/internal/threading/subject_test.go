package threading

import "testing"

// Rows follow RFC 5256 §2.1 steps and the §5 subject ABNF.
func TestBaseSubject(t *testing.T) {
	tests := []struct {
		in, want string
		reply    bool
	}{
		{"", "", false},
		{"test", "test", false},
		{"Re: test", "test", true},
		{"RE:test", "test", true},
		{"Re: Re: re:test", "test", true},
		{"Fw: test", "test", true},
		{"FWD: test", "test", true},
		{"fwd : test", "test", true},      // *WSP before ":"
		{"Re[2]: test", "test", true},     // subj-blob inside subj-refwd
		{"Re [2] : test", "test", true},   // WSP, blob, ":"
		{"[list] Re: test", "test", true}, // *subj-blob subj-refwd
		{"Re: [list] test", "test", true}, // step (4) drops the blob
		{"[a][b] test", "test", false},    // step (4) repeated
		{"[list]", "[list]", false},       // last blob is the base
		{"Re: [list]", "[list]", true},    // same, after a leader
		{"Fwd: [list] ", "[list]", true},  // trailing WSP first
		{"test (fwd)", "test", true},      // subj-trailer
		{"test (FWD) (fwd)  ", "test", true},
		{"[fwd: test]", "test", true}, // step (6)
		{"[Fwd: Re: test] (fwd)", "test", true},
		{"Re: [fwd: [fwd: hi]]", "hi", true},
		{"[fwd: ]", "", true},                 // step (6) applies literally
		{"Reply: test", "Reply: test", false}, // "re" must be followed by [blob] ":"
		{"Ref: test", "Ref: test", false},
		{"\ttab\r\n  and   spaces ", "tab and spaces", false},
		{"Re:", "", true},
		{"[x", "[x", false},
		{"Grüße: Re: test", "Grüße: Re: test", false},
	}
	for _, tt := range tests {
		got, reply := BaseSubject(tt.in)
		if got != tt.want || reply != tt.reply {
			t.Errorf("BaseSubject(%q) = %q, %v; want %q, %v", tt.in, got, reply, tt.want, tt.reply)
		}
	}
}

func FuzzBaseSubject(f *testing.F) {
	for _, s := range []string{"Re: [fwd: x] (fwd)", "[a][b]", "[fwd:]", "Re[2]:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, _ := BaseSubject(s)
		if len(b) > len(s) {
			t.Fatalf("base %q longer than %q", b, s)
		}
		if again, _ := BaseSubject(b); again != b && !hasPrefixFold(b, "[fwd:") {
			// The base of a base is itself, except that a kept blob such as
			// "[fwd: x]" ... only a subj-fwd can unwrap further.
			t.Fatalf("BaseSubject not idempotent: %q -> %q -> %q", s, b, again)
		}
	})
}
