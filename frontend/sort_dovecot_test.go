package frontend

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomThreadMailbox makes messages full of what SORT and THREAD must get
// right: subject artifacts (RFC 5256 §2.1), equal and missing dates,
// duplicate and missing Message-IDs, References loops and dangling parents.
func randomThreadMailbox(rng *rand.Rand, n int) []string {
	subjects := []string{
		"Hello", "Re: hello", "RE: [list] Hello", "Fwd: hello", "hello (fwd)", "[fwd: hello]",
		"[list] Re: Hello", "Re[2]: hello", "Other", "re: other", "Re: Re: other", "",
		"Re:", "[x]", "[x] [y] z", "fw: z", "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=", "Re: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=",
		"Fwd: [fwd: Re: hello]", "  spaced\t  out  ", "Re: Fwd: [a] Re[3]: hello (fwd) (FWD)",
		"[fwd: [fwd: other]]", "[a]Re:other", "Re :other", "fwd:", "[]", "[ ] hello", "Re: [fwd: ]",
		"=?ISO-8859-1?Q?=E9t=E9?=", "Re: =?UTF-8?B?w4l0w6k=?=",
	}
	froms := []string{"", "Zed <zed@a.org>", "amy@b.org", "\"Doe, Al\" <al@c.org>", "=?UTF-8?Q?=C3=89mile?= <e@d.org>", "bea@d.org, cy@e.org", "Undisclosed:;"}
	dates := []string{"", "Wed, 25 Nov 2026 10:00:00 +0000", "Wed, 25 Nov 2026 11:00:00 +0100", "Wed, 25 Nov 2026 10:00:00 +0000",
		"Tue, 24 Nov 2026 23:59:59 -0500", "not a date", "Thu, 26 Nov 2026 09:00:00 +0000"}
	ids := []string{"a@x", "b@x", "c@x", "d@x", "e@x", "f@x", "g@x", "h@x", `"a"@x`, `"b\"q"@x`}
	var out []string
	for i := 0; i < n; i++ {
		var h strings.Builder
		if f := froms[rng.IntN(len(froms))]; f != "" {
			h.WriteString("From: " + f + "\r\n")
		}
		if f := froms[rng.IntN(len(froms))]; f != "" {
			h.WriteString("To: " + f + "\r\n")
		}
		if rng.IntN(3) == 0 {
			h.WriteString("Cc: " + froms[rng.IntN(len(froms))] + "\r\n")
		}
		h.WriteString("Subject: " + subjects[rng.IntN(len(subjects))] + "\r\n")
		if d := dates[rng.IntN(len(dates))]; d != "" {
			h.WriteString("Date: " + d + "\r\n")
		}
		if rng.IntN(6) != 0 {
			h.WriteString("Message-ID: <" + ids[rng.IntN(len(ids))] + ">\r\n")
		}
		switch rng.IntN(4) {
		case 0:
			h.WriteString("In-Reply-To: <" + ids[rng.IntN(len(ids))] + ">\r\n")
			if rng.IntN(2) == 0 {
				h.WriteString("References: junk without brackets\r\n")
			}
		case 1, 2:
			var refs []string
			for k := rng.IntN(4) + 1; k > 0; k-- {
				refs = append(refs, "<"+ids[rng.IntN(len(ids))]+">")
			}
			h.WriteString("References: " + strings.Join(refs, " ") + "\r\n")
		}
		out = append(out, h.String()+"\r\n"+strings.Repeat("x", rng.IntN(5)*100)+"\r\n")
	}
	return out
}

// TestSortThreadMatchDovecot loads the same random mailboxes into postbus
// and Dovecot and compares SORT and THREAD answers byte for byte.
func TestSortThreadMatchDovecot(t *testing.T) {
	requireDovecot(t)
	cmds := []string{
		"SORT (DATE) UTF-8 ALL", "SORT (ARRIVAL) UTF-8 ALL", "SORT (SUBJECT) UTF-8 ALL",
		"SORT (REVERSE SUBJECT DATE) UTF-8 ALL", "SORT (FROM) UTF-8 ALL", "SORT (TO) UTF-8 ALL",
		"SORT (CC REVERSE ARRIVAL) UTF-8 ALL", "SORT (SIZE) UTF-8 ALL", "SORT (DISPLAYFROM) UTF-8 ALL",
		"SORT (DISPLAYTO) UTF-8 ALL", "UID SORT (SUBJECT) UTF-8 ALL",
		"THREAD ORDEREDSUBJECT UTF-8 ALL", "THREAD REFERENCES UTF-8 ALL", "UID THREAD REFERENCES UTF-8 ALL",
		"THREAD REFERENCES UTF-8 NOT SUBJECT other", "UID THREAD ORDEREDSUBJECT UTF-8 ALL",
		"THREAD REFERENCES UTF-8 1:10", "SORT (DATE) UTF-8 SUBJECT hello",
		"SORT (REVERSE DISPLAYFROM SIZE) UTF-8 NOT SUBJECT z",
		"SORT RETURN (MIN MAX COUNT ALL) (SUBJECT DATE) UTF-8 ALL", "UID SORT RETURN () (REVERSE DATE) UTF-8 ALL",
	}
	for seed := uint64(1); seed <= 8; seed++ { // 40 pass too; 8 keep the test short
		msgs := randomThreadMailbox(rand.New(rand.NewPCG(seed, 7)), 16+int(seed%4)*8)
		e := newEnv(t)
		r := e.rawTLS(t)
		r.login()
		dv := startDovecot(t)
		for i, m := range msgs {
			internal := fmt.Sprintf("%02d-Nov-2026 08:00:00 +0000", 1+i%5) // equal arrivals too
			r.appendAt("INBOX", internal, m)
			dv.appendAt("INBOX", "", internal, m)
		}
		r.expect("s", "SELECT INBOX", "OK")
		if _, tagged := dv.cmd("s", "SELECT INBOX"); !strings.HasPrefix(tagged, "s OK") {
			t.Fatalf("dovecot SELECT: %q", tagged)
		}
		for _, c := range cmds {
			got := r.expect("t", c, "OK")
			want, tagged := dv.cmd("t", c)
			if !strings.HasPrefix(tagged, "t OK") {
				t.Fatalf("dovecot %s: %q", c, tagged)
			}
			if strings.Join(got, "\n") != strings.TrimSpace(strings.Join(want, "\n")) {
				t.Errorf("seed %d %s:\n postbus %q\n dovecot %q", seed, c, got, want)
			}
		}
		if t.Failed() {
			for i, m := range msgs {
				t.Logf("seed %d message %d:\n%s", seed, i+1, m[:strings.Index(m, "\r\n\r\n")])
			}
			return
		}
	}
}
