package wire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestResync checks that after a syntax error the rest of the command is
// skipped (non-synchronising literals included, synchronising ones not
// awaited) and the next command parses.
func TestResync(t *testing.T) {
	cases := []struct {
		name string
		in   string
		tag  string
	}{
		{"rest of line", "a FETCH x y z (((\r\n", "a"},
		{"nonsync literals", "a FROB {3+}\r\nabc {4+}\r\nab\r\n more\r\n", "a"},
		{"sync literal not awaited", "a FROB {3}\r\n", "a"},
		{"literal8 nonsync", "a FROB ~{3+}\r\na\x00c\r\n", "a"},
		{"error inside literal chain", "a LOGIN {3+}\r\nabc (bad {2+}\r\nxy\r\n", "a"},
		{"error after sync literal", "a LOGIN {3}\r\nabc \"unterminated {2+}\r\nxy\r\n", "a"},
		{"too long then nonsync", "a LOGIN " + strings.Repeat("x", 300) + " {4+}\r\nab\r\n tail {1+}\r\nz\r\n", "a"},
		{"nul", "a\x00 NOOP\r\n", ""},
		{"cr in line", "a NO\rOP\r\n", "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecoder(tc.in+"n NOOP\r\n", smallLimits())
			_, err := d.ReadCommand()
			se := syntaxErr(t, err)
			if se.Tag != tc.tag {
				t.Errorf("tag %q, want %q", se.Tag, tc.tag)
			}
			readCommandName(t, d, "n", "NOOP")
			if d.conts > 1 {
				t.Errorf("%d continuations", d.conts)
			}
		})
	}
}

// TestHostile feeds inputs meant to exhaust memory or hang the decoder.
func TestHostile(t *testing.T) {
	lim := DefaultLimits()
	t.Run("huge line", func(t *testing.T) {
		in := "a LOGIN " + strings.Repeat("x", 10<<20) + "\r\nn NOOP\r\n"
		d := newTestDecoder(in, lim)
		_, err := d.ReadCommand()
		se := syntaxErr(t, err)
		if !errors.Is(err, ErrLineTooLong) || se.Tag != "a" {
			t.Fatalf("got %+v", se)
		}
		if cap(d.line) > 2*lim.MaxLineLength {
			t.Errorf("line buffer grew to %d", cap(d.line))
		}
		readCommandName(t, d, "n", "NOOP")
	})
	t.Run("huge line over several chunks", func(t *testing.T) {
		in := "a LOGIN {3}\r\nabc " + strings.Repeat("x", 70000) + "\r\nn NOOP\r\n"
		d := newTestDecoder(in, lim)
		_, err := d.ReadCommand()
		if !errors.Is(err, ErrLineTooLong) {
			t.Fatalf("got %v", err)
		}
		readCommandName(t, d, "n", "NOOP")
	})
	t.Run("deep parens", func(t *testing.T) {
		in := "a SEARCH " + strings.Repeat("(", 30000) + "\r\nn NOOP\r\n"
		d := newTestDecoder(in, lim)
		_, err := d.ReadCommand()
		if se := syntaxErr(t, err); !contains(se.Msg, "nested") {
			t.Fatalf("got %+v", se)
		}
		readCommandName(t, d, "n", "NOOP")
	})
	t.Run("deep not chain", func(t *testing.T) {
		in := "a SEARCH " + strings.Repeat("NOT ", 16000) + "ALL\r\nn NOOP\r\n"
		d := newTestDecoder(in, lim)
		_, err := d.ReadCommand()
		if se := syntaxErr(t, err); !contains(se.Msg, "nested") {
			t.Fatalf("got %+v", se)
		}
		readCommandName(t, d, "n", "NOOP")
	})
	t.Run("long or chain accepted", func(t *testing.T) {
		in := "a SEARCH " + strings.Repeat("OR SEEN ", 200) + "ALL\r\n"
		d := newTestDecoder(in, lim)
		if _, err := d.ReadCommand(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("huge sync literal announcement", func(t *testing.T) {
		d := newTestDecoder("a LOGIN {9223372036854775807}\r\nn NOOP\r\n", lim)
		_, err := d.ReadCommand()
		if se := syntaxErr(t, err); se.Code != "TOOBIG" {
			t.Fatalf("got %+v", se)
		}
		if d.conts != 0 {
			t.Fatal("continuation sent")
		}
		readCommandName(t, d, "n", "NOOP")
	})
	for _, size := range []string{"99999999999999999999", "9999999999999999999", "9223372036854775808", "00000000000000000000000001"} {
		t.Run("literal size overflow "+size, func(t *testing.T) {
			d := newTestDecoder("a LOGIN {"+size+"+}\r\nn NOOP\r\n", lim)
			_, err := d.ReadCommand()
			syntaxErr(t, err)
			readCommandName(t, d, "n", "NOOP")
		})
	}
	t.Run("huge nonsync literal is fatal", func(t *testing.T) {
		d := newTestDecoder("a LOGIN {9223372036854775807+}\r\nxxxx", lim)
		_, err := d.ReadCommand()
		if !errors.Is(err, ErrLiteralTooBig) {
			t.Fatalf("got %v", err)
		}
		var se *SyntaxError
		if errors.As(err, &se) {
			t.Fatal("want a fatal error, got a SyntaxError")
		}
	})
	t.Run("many small literals", func(t *testing.T) {
		// 8×MaxSmallLiteral octets of literals per command at most.
		l := smallLimits()
		in := "a SEARCH" + strings.Repeat(" TEXT {50+}\r\n"+strings.Repeat("y", 50), 9) + "\r\nn NOOP\r\n"
		d := newTestDecoder(in, l)
		_, err := d.ReadCommand()
		if se := syntaxErr(t, err); se.Code != "TOOBIG" {
			t.Fatalf("got %+v", se)
		}
		readCommandName(t, d, "n", "NOOP")
	})
	t.Run("endless literal chain bounded by line length", func(t *testing.T) {
		l := smallLimits()
		in := "a SEARCH" + strings.Repeat(" TEXT {0+}\r\n", 100) + "\r\nn NOOP\r\n"
		d := newTestDecoder(in, l)
		_, err := d.ReadCommand()
		if !errors.Is(err, ErrLineTooLong) {
			t.Fatalf("got %v", err)
		}
		readCommandName(t, d, "n", "NOOP")
	})
}

// TestTruncated checks that input ending early yields io.EOF or
// io.ErrUnexpectedEOF, never a hang or a SyntaxError.
func TestTruncated(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"", io.EOF},
		{"\r\n", io.EOF},
		{"a NOOP", io.ErrUnexpectedEOF},
		{"a LOGIN bob", io.ErrUnexpectedEOF},
		{"a LOGIN {5}\r\nab", io.ErrUnexpectedEOF},
		{"a LOGIN {5+}\r\nabcde", io.ErrUnexpectedEOF},
		{"a LOGIN {5+}\r\nabcde x", io.ErrUnexpectedEOF},
		{"a FROB {5+}\r\nab", io.ErrUnexpectedEOF},
		{"a FROB {5+}\r\nabcde", io.ErrUnexpectedEOF},
		{"a " + strings.Repeat("x", 300), io.ErrUnexpectedEOF},
	}
	for _, tc := range cases {
		d := newTestDecoder(tc.in, smallLimits())
		_, err := d.ReadCommand()
		if err != tc.want {
			t.Errorf("ReadCommand(%q) = %v, want %v", tc.in, err, tc.want)
		}
	}
}

func TestReadLine(t *testing.T) {
	d := newTestDecoder("AGJvYgBzZWNyZXQ=\r\nDONE\n"+strings.Repeat("x", 300)+"\r\n*\r\npartial", smallLimits())
	for _, want := range []string{"AGJvYgBzZWNyZXQ=", "DONE"} {
		if got, err := d.ReadLine(); got != want || err != nil {
			t.Fatalf("ReadLine = %q, %v, want %q", got, err, want)
		}
	}
	if _, err := d.ReadLine(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("long line: %v", err)
	}
	if got, err := d.ReadLine(); got != "*" || err != nil {
		t.Fatalf("after long line: %q, %v", got, err)
	}
	if _, err := d.ReadLine(); err != io.ErrUnexpectedEOF {
		t.Fatalf("partial line: %v", err)
	}
	if _, err := newTestDecoder("", smallLimits()).ReadLine(); err != io.EOF {
		t.Fatalf("empty input: %v", err)
	}
}

// TestContinuationError checks that a failing continuation is fatal.
func TestContinuationError(t *testing.T) {
	boom := errors.New("write failed")
	d := NewDecoder(bufio.NewReader(strings.NewReader("a LOGIN {3}\r\nabc x\r\n")), func(string) error { return boom }, DefaultLimits())
	if _, err := d.ReadCommand(); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	d = NewDecoder(bufio.NewReader(strings.NewReader("a APPEND x {3}\r\nabc\r\n")), func(string) error { return boom }, DefaultLimits())
	if _, err := d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	msg, err := d.ReadAppendMessage()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(msg.Body); !errors.Is(err, boom) {
		t.Fatalf("body read: %v", err)
	}
}

// TestNilContinuation checks that a nil ContinuationFunc is tolerated.
func TestNilContinuation(t *testing.T) {
	d := NewDecoder(bufio.NewReader(strings.NewReader("a LOGIN {3}\r\nabc x\r\n")), nil, DefaultLimits())
	if _, err := d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
}

func TestBuffered(t *testing.T) {
	d := newTestDecoder("a STARTTLS\r\nb NOOP\r\n", DefaultLimits())
	readCommandName(t, d, "a", "STARTTLS")
	if d.Buffered() == 0 {
		t.Fatal("pipelined command not reported")
	}
}
