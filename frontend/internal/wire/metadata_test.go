package wire

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

// The METADATA commands' rows of the decoder tables (and so of the fuzz
// corpus, which is seeded from them), and LIST RETURN (METADATA ...).
func init() {
	get := func(mbox string, r MetadataRequest) *GetMetadataArgs {
		return &GetMetadataArgs{Mailbox: mbox, MetadataRequest: r}
	}
	v := func(e, val string) MetadataValue { return MetadataValue{Entry: e, Value: []byte(val)} }
	commandCases = append(commandCases, []struct {
		name  string
		in    string
		want  *Command
		conts int
	}{
		{"getmetadata server", "m GETMETADATA \"\" /shared/comment\r\n", &Command{Tag: "m", Name: "GETMETADATA",
			Args: get("", MetadataRequest{Entries: []string{"/shared/comment"}})}, 0},
		{"getmetadata list", "m getmetadata INBOX (/shared/comment \"/private/comment\")\r\n", &Command{Tag: "m", Name: "GETMETADATA",
			Args: get("INBOX", MetadataRequest{Entries: []string{"/shared/comment", "/private/comment"}})}, 0},
		{"getmetadata options", "m GETMETADATA (MAXSIZE 1024 depth Infinity) INBOX (/private/filters)\r\n", &Command{Tag: "m", Name: "GETMETADATA",
			Args: get("INBOX", MetadataRequest{Entries: []string{"/private/filters"}, MaxSize: 1024, HasMaxSize: true, Depth: MetadataDepthInfinity})}, 0},
		{"getmetadata depth 1", "m GETMETADATA (DEPTH 1) {5}\r\nA b/c /private/x\r\n", &Command{Tag: "m", Name: "GETMETADATA",
			Args: get("A b/c", MetadataRequest{Entries: []string{"/private/x"}, Depth: MetadataDepth1})}, 1},
		{"getmetadata options after mailbox", "m GETMETADATA INBOX (MAXSIZE 6 DEPTH 1) (\"/private/a\")\r\n", &Command{Tag: "m", Name: "GETMETADATA",
			Args: get("INBOX", MetadataRequest{Entries: []string{"/private/a"}, MaxSize: 6, HasMaxSize: true, Depth: MetadataDepth1})}, 0},
		{"setmetadata quoted and nil", "m SETMETADATA INBOX (/private/comment \"My comment\" /shared/comment nil)\r\n", &Command{Tag: "m", Name: "SETMETADATA",
			Args: &SetMetadataArgs{Mailbox: "INBOX", Entries: []MetadataValue{v("/private/comment", "My comment"), {Entry: "/shared/comment", Nil: true}}}}, 0},
		{"setmetadata literal", "m SETMETADATA INBOX (/private/comment {33}\r\nMy new comment across\r\ntwo lines.)\r\n", &Command{Tag: "m", Name: "SETMETADATA",
			Args: &SetMetadataArgs{Mailbox: "INBOX", Entries: []MetadataValue{v("/private/comment", "My new comment across\r\ntwo lines.")}}}, 1},
		{"setmetadata literal8 nul", "m SETMETADATA \"\" (/private/bin ~{3+}\r\na\x00b /private/e {0}\r\n)\r\n", &Command{Tag: "m", Name: "SETMETADATA",
			Args: &SetMetadataArgs{Mailbox: "", Entries: []MetadataValue{v("/private/bin", "a\x00b"), v("/private/e", "")}}}, 1},
		{"list return metadata", "l LIST \"\" * RETURN (METADATA (/private/comment MAXSIZE 10 /shared/comment))\r\n", &Command{Tag: "l", Name: "LIST",
			Args: &ListArgs{Patterns: []string{"*"}, ReturnMetadata: &MetadataRequest{Entries: []string{"/private/comment", "/shared/comment"}, MaxSize: 10, HasMaxSize: true}}}, 0},
		{"list return children metadata", "l LIST \"\" % RETURN (CHILDREN METADATA (\"/shared/comment\" DEPTH 1))\r\n", &Command{Tag: "l", Name: "LIST",
			Args: &ListArgs{Patterns: []string{"%"}, ReturnChildren: true, ReturnMetadata: &MetadataRequest{Entries: []string{"/shared/comment"}, Depth: MetadataDepth1}}}, 0},
	}...)
	errorCases = append(errorCases, []struct {
		name string
		in   string
		tag  string
		msg  string
		code string
	}{
		{"getmetadata no entries", "m GETMETADATA INBOX\r\n", "m", "Missing argument", ""},
		{"getmetadata empty entry list", "m GETMETADATA INBOX ()\r\n", "m", "", ""},
		{"getmetadata unknown option", "m GETMETADATA (FOO 1) INBOX /a\r\n", "m", "Unknown METADATA option", ""},
		{"getmetadata duplicate option", "m GETMETADATA (DEPTH 1 DEPTH 0) INBOX /a\r\n", "m", "Duplicate", ""},
		{"getmetadata bad depth", "m GETMETADATA (DEPTH 2) INBOX /a\r\n", "m", "DEPTH must be", ""},
		{"getmetadata maxsize not a number", "m GETMETADATA (MAXSIZE x) INBOX /a\r\n", "m", "Expected number", ""},
		{"getmetadata empty options", "m GETMETADATA () INBOX /a\r\n", "m", "", ""},
		{"getmetadata options twice", "m GETMETADATA (DEPTH 1) INBOX (MAXSIZE 1) /a\r\n", "m", "", ""},
		{"getmetadata options after entries", "m GETMETADATA INBOX /a (DEPTH 1)\r\n", "m", "Unexpected extra arguments", ""},
		{"setmetadata no list", "m SETMETADATA INBOX /private/a x\r\n", "m", "", ""},
		{"setmetadata missing value", "m SETMETADATA INBOX (/private/a)\r\n", "m", "Expected SP", ""},
		{"setmetadata atom value", "m SETMETADATA INBOX (/private/a value)\r\n", "m", "Expected a string", ""},
		{"setmetadata nul in literal", "m SETMETADATA INBOX (/private/a {3+}\r\na\x00b)\r\n", "m", "NUL in literal", ""},
		{"setmetadata empty", "m SETMETADATA INBOX ()\r\n", "m", "", ""},
		{"list metadata no entry", "l LIST \"\" * RETURN (METADATA (MAXSIZE 5))\r\n", "l", "without an entry", ""},
		{"list metadata twice", "l LIST \"\" * RETURN (METADATA (/a) METADATA (/b))\r\n", "l", "Duplicate METADATA", ""},
		{"list metadata not a list", "l LIST \"\" * RETURN (METADATA /a)\r\n", "l", "", ""},
	}...)
}

// TestMetadataTooManyEntries: one command names at most
// maxMetadataEntries entries.
func TestMetadataTooManyEntries(t *testing.T) {
	for _, in := range []string{
		"m GETMETADATA INBOX (" + strings.Repeat("/a ", maxMetadataEntries) + "/a)\r\n",
		"m SETMETADATA INBOX (" + strings.Repeat("/a NIL ", maxMetadataEntries) + "/a NIL)\r\n",
		"l LIST \"\" * RETURN (METADATA (" + strings.Repeat("/a ", maxMetadataEntries) + "/a))\r\n",
	} {
		_, err := newTestDecoder(in, DefaultLimits()).ReadCommand()
		if se := syntaxErr(t, err); !strings.Contains(se.Msg, "Too many entries") {
			t.Errorf("%.30q: %v", in, se.Msg)
		}
	}
}

// TestSetMetadataValueTooLarge: a value literal over MaxSmallLiteral is
// not a syntax error but a SETMETADATA to refuse with NO [METADATA
// MAXSIZE]: a synchronising one is not awaited (no continuation), a
// non-synchronising one is read and discarded with the rest of the
// command, and the next command is read normally.
func TestSetMetadataValueTooLarge(t *testing.T) {
	lim := smallLimits() // MaxSmallLiteral 50
	for _, tc := range []struct {
		name, in string
	}{
		{"sync", "m SETMETADATA INBOX (/private/a {51}\r\nn NOOP\r\n"},
		{"non-sync", "m SETMETADATA INBOX (/private/a ~{51+}\r\n" + strings.Repeat("z", 51) + " /private/b {2+}\r\nok)\r\nn NOOP\r\n"},
		{"after a small one", "m SETMETADATA INBOX (/private/a {1+}\r\nx /private/b {90+}\r\n" + strings.Repeat("z", 90) + ")\r\nn NOOP\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDecoder(tc.in, lim)
			cmd, err := d.ReadCommand()
			if err != nil {
				t.Fatal(err)
			}
			a, ok := cmd.Args.(*SetMetadataArgs)
			if !ok || !a.ValueTooLarge {
				t.Fatalf("args %+v, want ValueTooLarge", cmd.Args)
			}
			if d.conts != 0 {
				t.Fatalf("%d continuations for a literal that is refused", d.conts)
			}
			next, err := d.ReadCommand()
			if err != nil || next.Name != "NOOP" {
				t.Fatalf("next command: %+v, %v", next, err)
			}
		})
	}
	// A non-synchronising literal too big even to discard ends the connection.
	d := newTestDecoder("m SETMETADATA INBOX (/private/a {500+}\r\n"+strings.Repeat("z", 500)+")\r\n", lim)
	if _, err := d.ReadCommand(); !errors.Is(err, ErrLiteralTooBig) {
		t.Fatalf("huge non-sync literal: %v, want ErrLiteralTooBig", err)
	}
}

// FuzzMetadataCommand feeds GETMETADATA, SETMETADATA and LIST RETURN
// (METADATA) variants to the decoder: no panic, progress, and whatever
// SETMETADATA returns holds no more value octets than the literal budget.
func FuzzMetadataCommand(f *testing.F) {
	for _, s := range []string{
		"m GETMETADATA (MAXSIZE 10 DEPTH infinity) \"\" (/shared/comment /private/x)\r\n",
		"m SETMETADATA INBOX (/private/a ~{3+}\r\na\x00b /b NIL /c \"q\")\r\n",
		"m SETMETADATA INBOX (/private/a {60+}\r\n" + strings.Repeat("v", 60) + ")\r\n",
		"l LIST (SUBSCRIBED) \"\" (a b) RETURN (METADATA (/a DEPTH 1 MAXSIZE 2) STATUS (MESSAGES))\r\n",
	} {
		f.Add(s + "n NOOP\r\n")
	}
	f.Fuzz(func(t *testing.T, in string) {
		lim := smallLimits()
		d := NewDecoder(bufio.NewReaderSize(strings.NewReader(in), 16), func(string) error { return nil }, lim)
		for calls := 0; ; calls++ {
			if calls > len(in)+2 {
				t.Fatalf("no progress after %d calls", calls)
			}
			cmd, err := d.ReadCommand()
			if err != nil {
				var se *SyntaxError
				if errors.As(err, &se) {
					continue
				}
				return
			}
			if a, ok := cmd.Args.(*SetMetadataArgs); ok {
				total := 0
				for _, e := range a.Entries {
					if len(e.Value) > lim.MaxSmallLiteral && !utf8Quoted(e.Value) {
						t.Fatalf("value of %d octets over MaxSmallLiteral", len(e.Value))
					}
					total += len(e.Value)
				}
				if total > litBudgetFactor*lim.MaxSmallLiteral+lim.MaxLineLength {
					t.Fatalf("%d value octets in one command", total)
				}
			}
		}
	})
}

// utf8Quoted reports whether a value could have come in a quoted string,
// which the line length, not MaxSmallLiteral, bounds.
func utf8Quoted(b []byte) bool {
	for _, c := range b {
		if c == 0 || c == '\r' || c == '\n' {
			return false
		}
	}
	return true
}
