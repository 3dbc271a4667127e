package wire

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestSearchObjectID: RFC 8474 §6 EMAILID/THREADID search keys, parsed
// into SearchEmailID/SearchThreadID with the id kept as sent (ids are case
// sensitive), and every malformed id refused with a syntax error.
func TestSearchObjectID(t *testing.T) {
	long := "T" + strings.Repeat("a", 254)
	ok := []struct {
		in   string
		want *SearchArgs
	}{
		{"s SEARCH EMAILID M6d99ac3275bb4e\r\n", search(&SearchKey{Op: SearchEmailID, Value: "M6d99ac3275bb4e"})},
		{"s SEARCH threadid T-_aZ09\r\n", search(&SearchKey{Op: SearchThreadID, Value: "T-_aZ09"})},
		{"s SEARCH THREADID " + long + "\r\n", search(&SearchKey{Op: SearchThreadID, Value: long})},
		{"s SEARCH OR EMAILID Ma EMAILID Mb\r\n", search(kOr(&SearchKey{Op: SearchEmailID, Value: "Ma"}, &SearchKey{Op: SearchEmailID, Value: "Mb"}))},
		{"s SEARCH (EMAILID x) NOT THREADID NIL\r\n", search(
			kAnd(&SearchKey{Op: SearchEmailID, Value: "x"}), kNot(&SearchKey{Op: SearchThreadID, Value: "NIL"}))},
	}
	for _, tc := range ok {
		cmd, err := newTestDecoder(tc.in, DefaultLimits()).ReadCommand()
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(cmd.Args, tc.want) {
			t.Errorf("%q:\n got  %s\n want %s", tc.in, show(cmd.Args), show(tc.want))
		}
	}
	bad := []struct{ in, msg string }{
		{"s SEARCH EMAILID\r\n", "Missing"},
		{"s SEARCH EMAILID \r\n", "EMAILID needs an objectid"},
		{"s SEARCH EMAILID M.1\r\n", "not an objectid"},
		{"s SEARCH THREADID T+1\r\n", "not an objectid"},
		{"s SEARCH EMAILID \"M1\"\r\n", "not an objectid"},
		{"s SEARCH EMAILID {2+}\r\nM1\r\n", "not an objectid"},
		{"s SEARCH THREADID T" + strings.Repeat("a", 255) + "\r\n", "not an objectid"},
		{"s SEARCH THREADID (T1)\r\n", "THREADID needs an objectid"},
		{"s SEARCH EMAILID M\xc3\xa91\r\n", "not an objectid"},
	}
	for _, tc := range bad {
		d := newTestDecoder(tc.in+"n NOOP\r\n", DefaultLimits())
		_, err := d.ReadCommand()
		var se *SyntaxError
		if !errors.As(err, &se) || se.Tag != "s" || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("%q: %v, want a syntax error ~%q", tc.in, err, tc.msg)
			continue
		}
		if d.conts != 0 {
			t.Errorf("%q: sent a continuation for a rejected command", tc.in)
		}
		if cmd, err := d.ReadCommand(); err != nil || cmd.Name != "NOOP" {
			t.Errorf("%q: next command %+v, %v", tc.in, cmd, err)
		}
	}
}

var objectIDGrammar = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// FuzzSearchObjectID feeds arbitrary ids to the EMAILID key: the decoder
// must never panic, and accept exactly what the RFC 8474 §7 grammar does.
func FuzzSearchObjectID(f *testing.F) {
	for _, s := range []string{"M1", "", "M.1", "\"M1\"", "T" + strings.Repeat("z", 254), "a b", "(x)", "NIL", "-", "{1}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if strings.ContainsAny(id, "\r\n{") {
			return // line structure and literals are FuzzReadCommand's job
		}
		cmd, err := newTestDecoder("s SEARCH EMAILID "+id+"\r\n", DefaultLimits()).ReadCommand()
		if ValidObjectID(id) != objectIDGrammar.MatchString(id) {
			t.Fatalf("ValidObjectID(%q) = %v", id, ValidObjectID(id))
		}
		if err == nil {
			k := cmd.Args.(*SearchArgs).Key.Children[0]
			if k.Op != SearchEmailID || !objectIDGrammar.MatchString(k.Value) {
				t.Fatalf("accepted %q as %+v", id, k)
			}
		} else if objectIDGrammar.MatchString(id) {
			t.Fatalf("refused valid id %q: %v", id, err)
		}
	})
}
