package frontend

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// ival is one parsed IMAP response value. Strings keep no trace of how
// they were sent (quoted or literal), so canonical forms compare what a
// client sees, not how the server chose to spell it.
type ival struct {
	kind byte // 'a' atom or number, 's' string, 'n' NIL, 'l' list
	s    string
	l    []ival
}

// canon renders v in one canonical spelling: strings Go-quoted, NIL,
// atoms as sent, lists in parentheses.
func (v ival) canon() string {
	var b strings.Builder
	v.write(&b)
	return b.String()
}

func (v ival) write(b *strings.Builder) {
	switch v.kind {
	case 'a':
		b.WriteString(v.s)
	case 's':
		b.WriteString(strconv.Quote(v.s))
	case 'n':
		b.WriteString("NIL")
	case 'l':
		b.WriteByte('(')
		for i, x := range v.l {
			if i > 0 {
				b.WriteByte(' ')
			}
			x.write(b)
		}
		b.WriteByte(')')
	}
}

var errIMAPSyntax = errors.New("dovediff: response syntax")

// iparser reads IMAP response values from a line whose literals are
// inlined ("{n}\r\n" and the n octets), as raw.line and dovecot.line
// return them.
type iparser struct {
	s string
	i int
}

func (p *iparser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *iparser) value(depth int) (ival, error) {
	if depth > 100 {
		return ival{}, fmt.Errorf("%w: nested too deep", errIMAPSyntax)
	}
	p.space()
	if p.i >= len(p.s) {
		return ival{}, fmt.Errorf("%w: value expected at end", errIMAPSyntax)
	}
	switch c := p.s[p.i]; {
	case c == '(':
		p.i++
		v := ival{kind: 'l', l: []ival{}}
		for {
			p.space()
			if p.i >= len(p.s) {
				return ival{}, fmt.Errorf("%w: unclosed list", errIMAPSyntax)
			}
			if p.s[p.i] == ')' {
				p.i++
				return v, nil
			}
			x, err := p.value(depth + 1)
			if err != nil {
				return ival{}, err
			}
			v.l = append(v.l, x)
		}
	case c == '"':
		var b strings.Builder
		for p.i++; p.i < len(p.s); p.i++ {
			switch p.s[p.i] {
			case '\\':
				p.i++
				if p.i < len(p.s) {
					b.WriteByte(p.s[p.i])
				}
			case '"':
				p.i++
				return ival{kind: 's', s: b.String()}, nil
			default:
				b.WriteByte(p.s[p.i])
			}
		}
		return ival{}, fmt.Errorf("%w: unterminated quoted string", errIMAPSyntax)
	case c == '{' || c == '~' && p.i+1 < len(p.s) && p.s[p.i+1] == '{':
		j := strings.Index(p.s[p.i:], "}\r\n")
		if j < 0 {
			return ival{}, fmt.Errorf("%w: bad literal", errIMAPSyntax)
		}
		num := strings.TrimSuffix(strings.TrimLeft(p.s[p.i:p.i+j], "~{"), "+")
		n, err := strconv.Atoi(num)
		start := p.i + j + 3
		if err != nil || n < 0 || start+n > len(p.s) {
			return ival{}, fmt.Errorf("%w: bad literal length %q", errIMAPSyntax, num)
		}
		p.i = start + n
		return ival{kind: 's', s: p.s[start:p.i]}, nil
	case c == ')':
		return ival{}, fmt.Errorf("%w: unexpected )", errIMAPSyntax)
	default:
		// An atom; a section spec in brackets may hold spaces and
		// parentheses (BODY[HEADER.FIELDS (A B)]<0>).
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != ' ' && p.s[p.i] != '(' && p.s[p.i] != ')' {
			if p.s[p.i] == '[' {
				j := strings.IndexByte(p.s[p.i:], ']')
				if j < 0 {
					return ival{}, fmt.Errorf("%w: unclosed [", errIMAPSyntax)
				}
				p.i += j
			}
			p.i++
		}
		a := p.s[start:p.i]
		if strings.EqualFold(a, "NIL") {
			return ival{kind: 'n'}, nil
		}
		return ival{kind: 'a', s: a}, nil
	}
}

// parseFetch reads "* n FETCH (item value ...)" into its sequence number
// and items keyed by upper-case name.
func parseFetch(line string) (int, map[string]ival, error) {
	rest, ok := strings.CutPrefix(line, "* ")
	if !ok {
		return 0, nil, fmt.Errorf("%w: not untagged: %.80q", errIMAPSyntax, line)
	}
	num, rest, ok := strings.Cut(rest, " ")
	seq, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, nil, fmt.Errorf("%w: no number: %.80q", errIMAPSyntax, line)
	}
	rest, ok = strings.CutPrefix(rest, "FETCH ")
	if !ok {
		return 0, nil, fmt.Errorf("%w: not FETCH: %.80q", errIMAPSyntax, line)
	}
	p := &iparser{s: rest}
	v, err := p.value(0)
	if err != nil {
		return 0, nil, err
	}
	if p.space(); p.i != len(p.s) || v.kind != 'l' || len(v.l)%2 != 0 {
		return 0, nil, fmt.Errorf("%w: FETCH list: %.80q", errIMAPSyntax, line)
	}
	items := map[string]ival{}
	for i := 0; i < len(v.l); i += 2 {
		if v.l[i].kind != 'a' {
			return 0, nil, fmt.Errorf("%w: item name: %.80q", errIMAPSyntax, line)
		}
		items[strings.ToUpper(v.l[i].s)] = v.l[i+1]
	}
	return seq, items, nil
}

func TestIMAPValueParser(t *testing.T) {
	tests := []struct {
		line string
		seq  int
		want map[string]string
		err  bool
	}{
		{line: `* 3 FETCH (UID 7 FLAGS (\Seen $X) BODY[HEADER.FIELDS (FROM TO)]<0> {5}` + "\r\n" + `ab"c) ENVELOPE (NIL "q\"x" nil))`, seq: 3,
			want: map[string]string{"UID": "7", "FLAGS": `(\Seen $X)`, "BODY[HEADER.FIELDS (FROM TO)]<0>": `"ab\"c)"`, "ENVELOPE": `(NIL "q\"x" NIL)`}},
		{line: "* 1 FETCH (BINARY[1] ~{2}\r\n\x00a)", seq: 1, want: map[string]string{"BINARY[1]": `"\x00a"`}},
		{line: `* 1 FETCH (BODY[] "same")`, seq: 1, want: map[string]string{"BODY[]": `"same"`}},
		{line: "* 1 FETCH (BODY[] {4}\r\nsame)", seq: 1, want: map[string]string{"BODY[]": `"same"`}},
		{line: `* 1 FETCH (UID`, err: true},
		{line: `* 1 FETCH (UID 1 FLAGS)`, err: true},
		{line: "* 1 FETCH (BODY[] {9}\r\nab)", err: true},
		{line: `* 1 FETCH (BODY[1 "x")`, err: true},
		{line: `* x FETCH (UID 1)`, err: true},
		{line: `* 1 STORE (UID 1)`, err: true},
		{line: `* 1 FETCH (UID 1) junk`, err: true},
		{line: `* 1 FETCH (UID "unterminated)`, err: true},
	}
	for _, tt := range tests {
		seq, items, err := parseFetch(tt.line)
		if tt.err {
			if !errors.Is(err, errIMAPSyntax) {
				t.Errorf("%q: err %v, want errIMAPSyntax", tt.line, err)
			}
			continue
		}
		if err != nil || seq != tt.seq || len(items) != len(tt.want) {
			t.Errorf("%q: %d %v %v", tt.line, seq, items, err)
			continue
		}
		for k, w := range tt.want {
			if got := items[k].canon(); got != w {
				t.Errorf("%q: %s = %s, want %s", tt.line, k, got, w)
			}
		}
	}
}

// FuzzParseFetch: the response parser never panics or loops on any
// input, and an atom it returns parses back to itself.
func FuzzParseFetch(f *testing.F) {
	f.Add("* 1 FETCH (UID 7 BODY[HEADER.FIELDS (A)]<0> {3}\r\nabc ENVELOPE (NIL \"x\"))")
	f.Add("* 2 FETCH (BINARY[1] ~{1}\r\n\x00)")
	f.Add(`* 1 FETCH (FLAGS (\Seen) X "a\"b")`)
	f.Fuzz(func(t *testing.T, line string) {
		_, items, err := parseFetch(line)
		if err != nil {
			return
		}
		for k, v := range items {
			if v.kind != 'a' {
				continue // strings are canonicalised in Go quoting, not IMAP's
			}
			p := &iparser{s: v.s}
			back, err := p.value(0)
			if err != nil || back.canon() != v.canon() {
				t.Errorf("%s: atom %q reparsed as %q (%v)", k, v.s, back.canon(), err)
			}
		}
	})
}
