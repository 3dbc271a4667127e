package frontend

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

var (
	reModseq     = regexp.MustCompile(`MODSEQ \((\d+)\)`)
	reHighest    = regexp.MustCompile(`\[HIGHESTMODSEQ (\d+)\]`)
	reUID        = regexp.MustCompile(`UID (\d+)`)
	reFlags      = regexp.MustCompile(`FLAGS \(([^)]*)\)`)
	reUIDVal     = regexp.MustCompile(`\[UIDVALIDITY (\d+)\]`)
	reSearchMod  = regexp.MustCompile(`\(MODSEQ (\d+)\)$`)
	reESearchMod = regexp.MustCompile(` MODSEQ (\d+)$`)
)

// num returns the first submatch of re in the first line that has one.
func num(t *testing.T, re *regexp.Regexp, lines ...string) uint64 {
	t.Helper()
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			n, err := strconv.ParseUint(m[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in %q", re, lines)
	return 0
}

func grep(lines []string, sub string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

const condMsg = "Subject: m\r\n\r\nbody\r\n"

func TestCondstoreCapability(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	u := r.expect("a", "CAPABILITY", "OK")
	if !containsLine(u, " CONDSTORE") || !containsLine(u, " QRESYNC") {
		t.Fatalf("CAPABILITY: %q", u)
	}
}

// TestCondstoreTranscript walks RFC 7162 §3.1 in one session: enabling by
// the first MODSEQ FETCH, STORE with and without UNCHANGEDSINCE, MODIFIED,
// CHANGEDSINCE, SEARCH MODSEQ, STATUS HIGHESTMODSEQ and unsolicited FETCH.
func TestCondstoreTranscript(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	for range 4 {
		r.appendRaw("INBOX", condMsg)
	}
	sel := r.expect("a", "SELECT INBOX", "OK")
	high := num(t, reHighest, sel...)
	if high == 0 {
		t.Fatalf("HIGHESTMODSEQ 0: %q", sel)
	}

	// Not enabled yet: no MODSEQ volunteered.
	u := r.expect("b", "STORE 1 +FLAGS (\\Flagged)", "OK")
	if len(u) != 1 || strings.Contains(u[0], "MODSEQ") {
		t.Fatalf("plain STORE: %q", u)
	}
	u = r.expect("b2", "FETCH 1:4 (FLAGS)", "OK")
	if containsLine(u, "MODSEQ") {
		t.Fatalf("FETCH before enabling: %q", u)
	}

	// The first enabling command announces HIGHESTMODSEQ (§3.1).
	u = r.expect("c", "FETCH 1:4 (MODSEQ)", "OK")
	if len(grep(u, "[HIGHESTMODSEQ ")) != 1 || len(grep(u, "FETCH (MODSEQ (")) != 4 {
		t.Fatalf("FETCH MODSEQ: %q", u)
	}
	m1 := num(t, reModseq, grep(u, "* 1 FETCH")...)
	m2 := num(t, reModseq, grep(u, "* 2 FETCH")...)
	if m1 <= m2 {
		t.Fatalf("STORE did not raise message 1's MODSEQ: %d <= %d", m1, m2)
	}
	u = r.expect("c2", "FETCH 1 (MODSEQ)", "OK")
	if containsLine(u, "HIGHESTMODSEQ") {
		t.Fatalf("HIGHESTMODSEQ announced twice: %q", u)
	}

	// .SILENT still answers with UID and MODSEQ (§3.1.3, §3.2.4).
	u = r.expect("d", "STORE 2 +FLAGS.SILENT (\\Seen)", "OK")
	if len(u) != 1 || !strings.HasPrefix(u[0], "* 2 FETCH (UID 2 MODSEQ (") || strings.Contains(u[0], "FLAGS") {
		t.Fatalf("STORE .SILENT: %q", u)
	}
	m2new := num(t, reModseq, u...)

	// Message 2 changed after m1: it fails, the others pass (§3.1.3).
	tagged := ""
	u, tagged = r.cmd("e", "STORE 2:4 (UNCHANGEDSINCE "+itoa(int(m1))+") +FLAGS.SILENT ($Done)")
	if tagged != "e OK [MODIFIED 2] conditional STORE failed for some messages" {
		t.Fatalf("conditional STORE: %q %q", tagged, u)
	}
	if l := grep(u, "* 2 FETCH"); len(l) != 1 || !strings.Contains(l[0], `FLAGS (\Seen \Recent)`) {
		t.Fatalf("failed message not reported with its flags: %q", u)
	}
	if l := grep(u, "* 3 FETCH"); len(l) != 1 || strings.Contains(l[0], "FLAGS") || num(t, reModseq, l...) <= m2new {
		t.Fatalf("passed message: %q", u)
	}
	// UID STORE names UIDs; UNCHANGEDSINCE 0 always fails (§3.1.3).
	_, tagged = r.cmd("f", "UID STORE 3,4 (UNCHANGEDSINCE 0) -FLAGS ($Done)")
	if !strings.HasPrefix(tagged, "f OK [MODIFIED 3:4]") {
		t.Fatalf("UNCHANGEDSINCE 0: %q", tagged)
	}
	u = r.expect("f2", "FETCH 3 (FLAGS)", "OK")
	if !containsLine(u, "$Done") {
		t.Fatalf("failed STORE changed flags: %q", u)
	}

	// CHANGEDSINCE: only what changed after m2new, with MODSEQ (§3.1.4.1).
	u = r.expect("g", "FETCH 1:* (FLAGS) (CHANGEDSINCE "+itoa(int(m2new))+")", "OK")
	if len(u) != 2 || !containsLine(u, "* 3 FETCH") || !containsLine(u, "* 4 FETCH") || !containsLine(u, "MODSEQ (") {
		t.Fatalf("CHANGEDSINCE: %q", u)
	}
	u = r.expect("g2", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1000000)", "OK")
	if len(u) != 0 {
		t.Fatalf("CHANGEDSINCE beyond HIGHESTMODSEQ: %q", u)
	}

	// SEARCH MODSEQ: the highest MODSEQ of the matches at the end (§3.1.5).
	st := r.expect("h0", "STATUS INBOX (HIGHESTMODSEQ MESSAGES)", "OK")
	highNow := num(t, regexp.MustCompile(`HIGHESTMODSEQ (\d+)`), st...)
	u = r.expect("h", "SEARCH MODSEQ "+itoa(int(m2new)), "OK")
	if len(u) != 1 || !strings.HasPrefix(u[0], "* SEARCH 2 3 4 (MODSEQ ") || num(t, reSearchMod, u...) != highNow {
		t.Fatalf("SEARCH MODSEQ: %q (highest %d)", u, highNow)
	}
	// One MODSEQ per message: the entry name and type are ignored (§3.1.5).
	u2 := r.expect("h2", `SEARCH MODSEQ "/flags/\\draft" all `+itoa(int(m2new)), "OK")
	if !slices.Equal(u, u2) {
		t.Fatalf("SEARCH MODSEQ with an entry: %q, without: %q", u2, u)
	}
	r.expect("h3", `SEARCH MODSEQ "/flags/\\draft" bogus 1`, "BAD")
	u = r.expect("i", "SEARCH MODSEQ 1000000", "OK")
	if len(u) != 1 || u[0] != "* SEARCH" {
		t.Fatalf("empty SEARCH MODSEQ: %q", u)
	}
	u = r.expect("j", "UID SEARCH RETURN (ALL) OR MODSEQ "+itoa(int(m1))+" FLAGGED", "OK")
	if len(u) != 1 || !strings.Contains(u[0], "ALL 1:4 MODSEQ ") || num(t, reESearchMod, u...) != highNow {
		t.Fatalf("ESEARCH MODSEQ: %q", u)
	}
	// SORT and ESORT likewise (§3.1.9, §3.1.10).
	u = r.expect("j2", "SORT (ARRIVAL) US-ASCII MODSEQ "+itoa(int(m2new)), "OK")
	if len(u) != 1 || !strings.HasPrefix(u[0], "* SORT 2 3 4 (MODSEQ ") || num(t, reSearchMod, u...) != highNow {
		t.Fatalf("SORT MODSEQ: %q", u)
	}
	u = r.expect("j3", "UID SORT RETURN (ALL) (ARRIVAL) US-ASCII MODSEQ "+itoa(int(m2new)), "OK")
	if len(u) != 1 || !strings.Contains(u[0], "ALL 2:4 MODSEQ ") || num(t, reESearchMod, u...) != highNow {
		t.Fatalf("ESORT MODSEQ: %q", u)
	}
	u = r.expect("j4", "SORT (ARRIVAL) US-ASCII MODSEQ 1000000", "OK")
	if len(u) != 1 || u[0] != "* SORT" {
		t.Fatalf("empty SORT MODSEQ: %q", u)
	}
	u = r.expect("k", "SEARCH RETURN (COUNT) MODSEQ 1000000", "OK")
	if len(u) != 1 || strings.Contains(u[0], "MODSEQ") {
		t.Fatalf("empty ESEARCH MODSEQ: %q", u)
	}

	// Another session's change arrives as FETCH with UID and MODSEQ.
	b := e.rawTLS(t)
	b.login()
	b.expect("a", "SELECT INBOX", "OK")
	b.expect("b", "STORE 4 FLAGS (\\Answered)", "OK")
	u = r.expect("l", "NOOP", "OK")
	if len(u) != 1 || !regexp.MustCompile(`^\* 4 FETCH \(UID 4 MODSEQ \(\d+\) FLAGS \(\\Answered( \\Recent)?\)\)$`).MatchString(u[0]) {
		t.Fatalf("unsolicited FETCH: %q", u)
	}

	// Read-only: no conditional STORE either.
	r.expect("m", "EXAMINE INBOX", "OK")
	r.expect("n", "STORE 1 (UNCHANGEDSINCE 5) +FLAGS (\\Seen)", "NO [READ-ONLY]")
}

// TestCondstoreEnabling: ENABLE CONDSTORE, STATUS HIGHESTMODSEQ and SELECT
// (CONDSTORE) are enabling commands (RFC 7162 §3.1), and once enabled a
// body FETCH that sets \Seen answers with UID and MODSEQ (§3.2.4).
func TestCondstoreEnabling(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.appendRaw("INBOX", condMsg)
	u := r.expect("a", "ENABLE CONDSTORE", "OK")
	if len(u) != 1 || u[0] != "* ENABLED CONDSTORE" {
		t.Fatalf("ENABLE CONDSTORE: %q", u)
	}
	u = r.expect("b", "ENABLE CONDSTORE", "OK")
	if len(u) != 1 || u[0] != "* ENABLED" {
		t.Fatalf("second ENABLE: %q", u)
	}
	r.expect("c", "SELECT INBOX", "OK")
	u = r.expect("d", "FETCH 1 (BODY[TEXT])", "OK")
	if len(u) != 1 || !strings.Contains(u[0], "UID 1") || !strings.Contains(u[0], "MODSEQ (") || !strings.Contains(u[0], `\Seen`) {
		t.Fatalf("FETCH setting \\Seen: %q", u)
	}

	// STATUS (HIGHESTMODSEQ) with a mailbox selected announces it.
	s := e.rawTLS(t)
	s.login()
	s.expect("a", "SELECT INBOX", "OK")
	u = s.expect("b", "STATUS INBOX (HIGHESTMODSEQ)", "OK")
	if len(grep(u, "* OK [HIGHESTMODSEQ ")) != 1 || len(grep(u, "* STATUS")) != 1 {
		t.Fatalf("STATUS HIGHESTMODSEQ: %q", u)
	}
	u = s.expect("c", "STORE 1 -FLAGS.SILENT (\\Seen)", "OK")
	if len(u) != 1 || !strings.Contains(u[0], "MODSEQ") {
		t.Fatalf("STORE after STATUS enabled CONDSTORE: %q", u)
	}

	// UNAUTHENTICATE starts a new session: nothing enabled any more.
	s.expect("d", "UNAUTHENTICATE", "OK")
	s.login()
	s.expect("e", "SELECT INBOX", "OK")
	u = s.expect("f", "STORE 1 +FLAGS.SILENT (\\Seen)", "OK")
	if len(u) != 0 {
		t.Fatalf("CONDSTORE survived UNAUTHENTICATE: %q", u)
	}
	s.expect("g", "UID FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)", "BAD")
}

// TestCondstoreClient speaks CONDSTORE through go-imap's imapclient.
func TestCondstoreClient(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	if !c.Caps().Has(imap.CapCondStore) || !c.Caps().Has(imap.CapQResync) {
		t.Fatalf("caps: %v", c.Caps())
	}
	for range 3 {
		appendMsg(t, c, "INBOX", condMsg)
	}
	sd, err := c.Select("INBOX", &imap.SelectOptions{CondStore: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sd.HighestModSeq == 0 {
		t.Fatal("SELECT (CONDSTORE): no HIGHESTMODSEQ")
	}
	base := sd.HighestModSeq
	if err := c.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(1, 2, 3), &imap.FetchOptions{UID: true, Flags: true, ModSeq: true, ChangedSince: base}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].UID != 2 || msgs[0].ModSeq <= base {
		t.Fatalf("CHANGEDSINCE: %+v", msgs)
	}
	changed := msgs[0].ModSeq
	// A conditional STORE against a stale MODSEQ leaves the message alone.
	if err := c.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, &imap.StoreOptions{UnchangedSince: base}).Close(); err != nil {
		t.Fatal(err)
	}
	msgs, err = c.Fetch(imap.UIDSetNum(2), &imap.FetchOptions{Flags: true, ModSeq: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].ModSeq != changed || normFlags(flagString(msgs[0].Flags)) != `\Flagged` {
		t.Fatalf("after failed conditional STORE: %+v (changed %d)", *msgs[0], changed)
	}
	sr, err := c.UIDSearch(&imap.SearchCriteria{ModSeq: &imap.SearchCriteriaModSeq{ModSeq: changed}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := sr.AllUIDs(); len(got) != 1 || got[0] != 2 || sr.ModSeq != changed {
		t.Fatalf("SEARCH MODSEQ: %v modseq %d", got, sr.ModSeq)
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{HighestModSeq: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st.HighestModSeq != changed {
		t.Fatalf("STATUS HIGHESTMODSEQ %d, want %d", st.HighestModSeq, changed)
	}
}
