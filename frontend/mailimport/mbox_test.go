package mailimport

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// readAll drains a Source into messages (bodies read) and broken names.
type readMsg struct {
	folder, name string
	flags        []string
	date         time.Time
	body         string
}

func readAll(t *testing.T, src Source) (msgs []readMsg, broken []string) {
	t.Helper()
	for {
		m, err := src.Next()
		if err == io.EOF {
			return msgs, broken
		}
		var be *BrokenError
		if errors.As(err, &be) {
			if !errors.Is(err, ErrBroken) {
				t.Errorf("BrokenError does not match ErrBroken")
			}
			broken = append(broken, be.Name+": "+be.Reason)
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		b, err := io.ReadAll(m.Body)
		if err != nil {
			t.Fatalf("body of %s: %v", m.Name, err)
		}
		msgs = append(msgs, readMsg{m.Folder, m.Name, m.Flags, m.Date, string(b)})
	}
}

func TestMbox(t *testing.T) {
	mbox := strings.Join([]string{
		"From alice@example.org Tue Mar 17 12:34:56 2009",
		"From: alice@example.org",
		"Subject: one",
		"Status: RO",
		"X-Status: AF",
		"X-Keywords: $Label1, Work",
		"X-UID: 7",
		"",
		"Hello",
		">From the start of a line",
		">>From quoted twice",
		"From inside a paragraph is not a separator",
		"",
		"",
		"From bob@example.org Wed Mar 18 01:02:03 +0100 2009",
		"Subject: two",
		"",
		"body two",
		"",
		"From broken Thu Mar 19 00:00:00 2009",
		"this is not a header",
		"",
		"From x Fri Mar 20 00:00:00 2009",
		"",
		"From nobody@example.org Sat Mar 21 10:00:00 PST 2009",
		"Subject: three",
		"X-Mozilla-Status: 1003",
		"",
		"last line without newline",
	}, "\n")

	t.Run("mboxrd", func(t *testing.T) {
		msgs, broken := readAll(t, NewMboxReader(strings.NewReader(mbox), "m", "Archive", MboxRD))
		if len(msgs) != 3 {
			t.Fatalf("%d messages: %+v", len(msgs), msgs)
		}
		want0 := "From: alice@example.org\r\nSubject: one\r\n\r\nHello\r\nFrom the start of a line\r\n>From quoted twice\r\nFrom inside a paragraph is not a separator\r\n\r\n"
		if msgs[0].body != want0 {
			t.Errorf("body 0:\n%q\nwant\n%q", msgs[0].body, want0)
		}
		if want := []string{`\Seen`, `\Answered`, `\Flagged`, "$Label1", "Work"}; !reflect.DeepEqual(msgs[0].flags, want) {
			t.Errorf("flags 0: %q", msgs[0].flags)
		}
		if !msgs[0].date.Equal(time.Date(2009, 3, 17, 12, 34, 56, 0, time.UTC)) {
			t.Errorf("date 0: %v", msgs[0].date)
		}
		if msgs[0].folder != "Archive" || msgs[0].name != "m:1" {
			t.Errorf("folder/name 0: %q %q", msgs[0].folder, msgs[0].name)
		}
		if msgs[1].body != "Subject: two\r\n\r\nbody two\r\n" || len(msgs[1].flags) != 0 {
			t.Errorf("message 1: %q %q", msgs[1].body, msgs[1].flags)
		}
		if _, off := msgs[1].date.Zone(); off != 3600 || msgs[1].date.Hour() != 1 {
			t.Errorf("date 1: %v", msgs[1].date)
		}
		if msgs[2].body != "Subject: three\r\nX-Mozilla-Status: 1003\r\n\r\nlast line without newline\r\n" {
			t.Errorf("message 2: %q", msgs[2].body)
		}
		if want := []string{`\Seen`, `\Answered`, "$Forwarded"}; !sameSet(msgs[2].flags, want) {
			t.Errorf("flags 2: %q", msgs[2].flags)
		}
		if msgs[2].date.IsZero() {
			t.Error("date 2 not parsed")
		}
		if len(broken) != 2 || !strings.HasPrefix(broken[0], "m:20: ") || !strings.HasPrefix(broken[1], "m:23: empty message") {
			t.Errorf("broken: %q", broken)
		}
	})
	t.Run("mboxo", func(t *testing.T) {
		msgs, _ := readAll(t, NewMboxReader(strings.NewReader(mbox), "m", "", MboxO))
		if !strings.Contains(msgs[0].body, "\r\nFrom the start of a line\r\n>>From quoted twice\r\n") {
			t.Errorf("mboxo unquoting: %q", msgs[0].body)
		}
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

func TestMboxEdges(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		bodies   []string
		err      error
	}{
		{"empty file", "", nil, nil},
		{"only blank lines", "\n\n", nil, nil},
		{"not an mbox", "Subject: x\n\nbody\n", nil, ErrFormat},
		{"crlf file", "From a Tue Mar 17 12:34:56 2009\r\nSubject: a\r\n\r\nx\r\n\r\nFrom b Tue Mar 17 12:34:56 2009\r\nSubject: b\r\n\r\ny\r\n",
			[]string{"Subject: a\r\n\r\nx\r\n", "Subject: b\r\n\r\ny\r\n"}, nil},
		{"header only", "From a Tue Mar 17 12:34:56 2009\nSubject: a\n", []string{"Subject: a\r\n\r\n"}, nil},
		{"blank lines kept but the separator's", "From a Tue Mar 17 12:34:56 2009\nS: a\n\nx\n\n\n\nFrom b Tue Mar 17 12:34:56 2009\nS: b\n\n",
			[]string{"S: a\r\n\r\nx\r\n\r\n\r\n", "S: b\r\n\r\n"}, nil},
		{"long line", "From a Tue Mar 17 12:34:56 2009\nS: a\n\n" + strings.Repeat("x", 200_000) + "\n",
			[]string{"S: a\r\n\r\n" + strings.Repeat("x", 200_000) + "\r\n"}, nil},
		{"header line over 64 KiB", "From a Tue Mar 17 12:34:56 2009\nS: " + strings.Repeat("x", 70_000) + "\n\nbody\n", nil, ErrBroken},
		{"folded header", "From a Tue Mar 17 12:34:56 2009\nSubject: a\n b\nStatus:\n  R\n\n", []string{"Subject: a\r\n b\r\n\r\n"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := NewMboxReader(strings.NewReader(tc.in), "m", "", MboxRD)
			var bodies []string
			for {
				m, err := src.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					if !errors.Is(err, tc.err) {
						t.Fatalf("error %v, want %v", err, tc.err)
					}
					return
				}
				b, _ := io.ReadAll(m.Body)
				bodies = append(bodies, string(b))
			}
			if tc.err != nil {
				t.Fatalf("no error, want %v", tc.err)
			}
			if !reflect.DeepEqual(bodies, tc.bodies) {
				t.Errorf("bodies %q\nwant %q", bodies, tc.bodies)
			}
		})
	}
}

// TestMboxUnreadBodies checks that a message whose body the caller did not
// read is skipped correctly.
func TestMboxUnreadBodies(t *testing.T) {
	in := "From a Tue Mar 17 12:34:56 2009\nS: 1\n\nbody\n>From x\n\nFrom b Tue Mar 17 12:34:56 2009\nS: 2\n\nbody2\n"
	src := NewMboxReader(strings.NewReader(in), "m", "", MboxRD)
	m1, err := src.Next()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	m1.Body.Read(buf)
	m2, err := src.Next()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(m2.Body)
	if string(b) != "S: 2\r\n\r\nbody2\r\n" {
		t.Errorf("second body %q", b)
	}
	if _, err := src.Next(); err != io.EOF {
		t.Errorf("after last: %v", err)
	}
}

func TestFromLineDate(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Time
	}{
		{"From a@b Tue Mar 17 12:34:56 2009", time.Date(2009, 3, 17, 12, 34, 56, 0, time.UTC)},
		{"From a@b  Tue Mar  7 02:04:06 2009", time.Date(2009, 3, 7, 2, 4, 6, 0, time.UTC)},
		{"From \"a b\"@c Tue Mar 17 12:34:56 2009", time.Date(2009, 3, 17, 12, 34, 56, 0, time.UTC)},
		{"From a@b Tue Mar 17 12:34 2009", time.Date(2009, 3, 17, 12, 34, 0, 0, time.UTC)},
		{"From a@b Tue Mar 17 12:34:56 2009 -0500", time.Date(2009, 3, 17, 17, 34, 56, 0, time.UTC)},
		{"From MAILER-DAEMON", time.Time{}},
		{"From a@b yesterday", time.Time{}},
	} {
		if got := fromLineDate(tc.line); !got.Equal(tc.want) {
			t.Errorf("%q: %v, want %v", tc.line, got, tc.want)
		}
	}
}

func FuzzMbox(f *testing.F) {
	f.Add("From a Tue Mar 17 12:34:56 2009\nS: a\n\n>From x\n\nFrom b\nS: b\n\ny")
	f.Add("From a\n\n\nFrom b\n")
	f.Add("From a\nStatus: RO\nX-Keywords: a,b\n\nx")
	f.Fuzz(func(t *testing.T, in string) {
		src := NewMboxReader(strings.NewReader(in), "f", "", MboxRD)
		total := 0
		for i := 0; i < 10_000; i++ {
			m, err := src.Next()
			if err != nil {
				if errors.Is(err, ErrBroken) {
					continue
				}
				return
			}
			b, err := io.ReadAll(m.Body)
			if err != nil {
				t.Fatal(err)
			}
			total += len(b)
		}
		t.Fatalf("no end after 10000 messages (%d octets)", total)
	})
}
