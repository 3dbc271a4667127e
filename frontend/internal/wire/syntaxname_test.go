package wire

import (
	"errors"
	"testing"
)

// A SyntaxError names the command being parsed once its name is known, so
// logs and metrics can count a malformed FETCH as a FETCH; an unknown name
// is never reported (clients must not create metric series).
func TestSyntaxErrorNamesCommand(t *testing.T) {
	for _, c := range []struct {
		in      string
		command string
		uid     bool
	}{
		{"a FETCH 1 (NOSUCHITEM)\r\n", "FETCH", false},
		{"a UID STORE 1 +FLAGS (\r\n", "STORE", true},
		{"a FROBNICATE\r\n", "", false},
		{"a UID FROBNICATE 1\r\n", "", false},
		{"(bad-tag NOOP\r\n", "", false},
	} {
		_, err := newTestDecoder(c.in, DefaultLimits()).ReadCommand()
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("%q: err %v, want a SyntaxError", c.in, err)
		}
		if se.Command != c.command || se.UID != c.uid {
			t.Errorf("%q: Command %q UID %v, want %q %v", c.in, se.Command, se.UID, c.command, c.uid)
		}
	}
	// The name does not leak into the next command's error.
	d := newTestDecoder("a FETCH 1 (X)\r\nb FROBNICATE\r\n", DefaultLimits())
	d.ReadCommand()
	_, err := d.ReadCommand()
	var se *SyntaxError
	if !errors.As(err, &se) || se.Command != "" {
		t.Fatalf("second command: %v (Command %q), want an unnamed SyntaxError", err, se.Command)
	}
}
