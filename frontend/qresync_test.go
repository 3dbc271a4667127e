package frontend

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"google.golang.org/grpc"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// TestQresyncRefusedBeforeEnable: the QRESYNC SELECT parameter and the
// VANISHED modifier are BAD until ENABLE QRESYNC (RFC 7162 §3.2.3), and
// VANISHED needs UID FETCH and CHANGEDSINCE (§3.2.6).
func TestQresyncRefusedBeforeEnable(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.appendRaw("INBOX", condMsg)
	r.expect("a", "SELECT INBOX (QRESYNC (1 1))", "BAD")
	r.expect("b", "SELECT INBOX", "OK")
	r.expect("c", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)", "BAD")
	r.expect("d", "SELECT INBOX (QRESYNC (1 1))", "BAD")
	r.expect("e", "FETCH 1 (FLAGS)", "OK") // the BAD SELECT did not deselect
	r.expect("f", "UNSELECT", "OK")

	u := r.expect("g", "ENABLE QRESYNC", "OK")
	if len(u) != 1 || u[0] != "* ENABLED QRESYNC" {
		t.Fatalf("ENABLE QRESYNC: %q", u)
	}
	u = r.expect("h", "ENABLE QRESYNC CONDSTORE", "OK")
	if len(u) != 1 || u[0] != "* ENABLED" {
		t.Fatalf("ENABLE again: %q", u)
	}
	// Both at once name both, in either order (§3.2.3).
	for i, line := range []string{"ENABLE QRESYNC CONDSTORE", "ENABLE CONDSTORE QRESYNC CONDSTORE"} {
		s := e.rawTLS(t)
		s.login()
		u = s.expect("a", line, "OK")
		if len(u) != 1 || (u[0] != "* ENABLED QRESYNC CONDSTORE" && u[0] != "* ENABLED CONDSTORE QRESYNC") {
			t.Fatalf("%d %s: %q", i, line, u)
		}
	}
	r.expect("i", "SELECT INBOX", "OK")
	r.expect("j", "FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)", "BAD")
	r.expect("k", "UID FETCH 1:* (FLAGS) (VANISHED)", "BAD")
	r.expect("l", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)", "OK")
	r.expect("m", "SELECT INBOX (QRESYNC (1))", "BAD")
}

// TestQresyncVanished: once QRESYNC is enabled every expunge is a VANISHED
// (RFC 7162 §3.2.10.2) — EXPUNGE, UID EXPUNGE, MOVE and other sessions' —
// EXPUNGE answers HIGHESTMODSEQ (§3.2.7), CLOSE says nothing (§3.2.8),
// and UID FETCH (CHANGEDSINCE VANISHED) reports VANISHED (EARLIER) first.
func TestQresyncVanished(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	for range 8 {
		r.appendRaw("INBOX", condMsg)
	}
	r.expect("a", "ENABLE QRESYNC", "OK")
	sel := r.expect("b", "SELECT INBOX", "OK")
	start := num(t, reHighest, sel...)

	r.expect("c", "STORE 2,4 +FLAGS.SILENT (\\Deleted)", "OK")
	u, tagged := r.cmd("d", "EXPUNGE")
	if len(u) != 1 || u[0] != "* VANISHED 2,4" {
		t.Fatalf("EXPUNGE: %q", u)
	}
	afterExpunge := num(t, reHighest, tagged)
	if afterExpunge <= start {
		t.Fatalf("EXPUNGE HIGHESTMODSEQ %d <= %d", afterExpunge, start)
	}
	r.expect("e", "UID STORE 5:7 +FLAGS.SILENT (\\Deleted)", "OK")
	u, tagged = r.cmd("f", "UID EXPUNGE 6:7")
	if len(u) != 1 || u[0] != "* VANISHED 6:7" || !strings.Contains(tagged, "OK [HIGHESTMODSEQ ") {
		t.Fatalf("UID EXPUNGE: %q %q", u, tagged)
	}
	// Nothing expunged: no HIGHESTMODSEQ needed.
	u, tagged = r.cmd("f2", "UID EXPUNGE 1")
	if len(u) != 0 || tagged != "f2 OK UID EXPUNGE completed" {
		t.Fatalf("empty UID EXPUNGE: %q %q", u, tagged)
	}

	// MOVE of 3 from here, then another session expunges 1.
	r.expect("g0", "CREATE Other", "OK")
	u, tagged = r.cmd("g", "UID MOVE 3 Other")
	if !containsLine(u, "* VANISHED 3") || containsLine(u, "EXPUNGE") || !strings.HasPrefix(tagged, "g OK [HIGHESTMODSEQ ") {
		t.Fatalf("MOVE: %q %q", u, tagged)
	}
	b := e.rawTLS(t)
	b.login()
	b.expect("a", "SELECT INBOX", "OK")
	b.expect("b", "UID STORE 1 +FLAGS.SILENT (\\Deleted)", "OK")
	b.expect("c", "UID EXPUNGE 1", "OK")
	u = r.expect("h", "NOOP", "OK")
	if len(u) != 1 || u[0] != "* VANISHED 1" {
		t.Fatalf("other session's expunge: %q", u)
	}

	// Since start: 1,2,3,4,6,7 expunged; 5 changed (\Deleted), 8 untouched.
	u = r.expect("i", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE "+itoa(int(start))+" VANISHED)", "OK")
	if len(u) != 2 || u[0] != "* VANISHED (EARLIER) 1:4,6:7" || !regexp.MustCompile(`^\* 1 FETCH \(UID 5 FLAGS \(\\Deleted( \\Recent)?\) MODSEQ \(\d+\)\)$`).MatchString(u[1]) {
		t.Fatalf("UID FETCH VANISHED: %q", u)
	}
	u = r.expect("j", "UID FETCH 2:3 (FLAGS) (CHANGEDSINCE "+itoa(int(afterExpunge))+" VANISHED)", "OK")
	if len(u) != 1 || u[0] != "* VANISHED (EARLIER) 3" {
		t.Fatalf("UID FETCH VANISHED in a range: %q", u)
	}

	// CLOSE expunges 5 silently (§3.2.8).
	u, tagged = r.cmd("k", "CLOSE")
	if len(u) != 0 || tagged != "k OK CLOSE completed" {
		t.Fatalf("CLOSE: %q %q", u, tagged)
	}
	r.expect("l", "SELECT INBOX", "OK")
	u = r.expect("m", "UID SEARCH ALL", "OK")
	if !containsLine(u, " 8") || containsLine(u, " 5") {
		t.Fatalf("after CLOSE: %q", u)
	}
	// A SELECT replacing a selected mailbox starts with [CLOSED].
	u = r.expect("n", "EXAMINE Other", "OK")
	if len(u) == 0 || !strings.HasPrefix(u[0], "* OK [CLOSED]") {
		t.Fatalf("SELECT over a selected mailbox: %q", u)
	}
}

// TestQresyncSelectParameters: UIDVALIDITY mismatch ignores the rest
// (RFC 7162 §3.2.5), known-uids restricts the answer, and seq-match-data
// spares the expunges the client provably knows (§3.2.5.2).
func TestQresyncSelectParameters(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	for range 6 {
		r.appendRaw("INBOX", condMsg)
	}
	r.expect("a", "ENABLE QRESYNC", "OK")
	sel := r.expect("b", "SELECT INBOX", "OK")
	uv := num(t, reUIDVal, sel...)
	start := num(t, reHighest, sel...)
	r.expect("c", "STORE 2,4 +FLAGS.SILENT (\\Deleted)", "OK")
	r.expect("d", "EXPUNGE", "OK")
	r.expect("e", "UID STORE 5 +FLAGS.SILENT (\\Flagged)", "OK")
	r.expect("f", "UNSELECT", "OK")
	qs := func(params string) []string {
		return r.expect("q", "SELECT INBOX (QRESYNC ("+params+"))", "OK")
	}
	tail := func(u []string) []string {
		var out []string
		for _, l := range u {
			if strings.HasPrefix(l, "* VANISHED") || strings.Contains(l, " FETCH ") {
				out = append(out, l)
			}
		}
		return out
	}
	s := strconv.FormatUint(start, 10)
	if got := tail(qs(strconv.FormatUint(uv+1, 10) + " " + s)); len(got) != 0 {
		t.Fatalf("UIDVALIDITY mismatch answered %q", got)
	}
	got := tail(qs(strconv.FormatUint(uv, 10) + " " + s))
	if len(got) != 2 || got[0] != "* VANISHED (EARLIER) 2,4" || !regexp.MustCompile(`^\* 3 FETCH \(UID 5 MODSEQ \(\d+\) FLAGS \(\\Flagged\)\)$`).MatchString(got[1]) {
		t.Fatalf("QRESYNC: %q", got)
	}
	got = tail(qs(strconv.FormatUint(uv, 10) + " " + s + " 1:3"))
	if len(got) != 1 || got[0] != "* VANISHED (EARLIER) 2" {
		t.Fatalf("QRESYNC with known UIDs: %q", got)
	}
	// The client's message 2 is UID 3 (it knows 2 is gone): only 4 is news.
	got = tail(qs(strconv.FormatUint(uv, 10) + " " + s + " 1:6 (2 3)"))
	if len(got) != 2 || got[0] != "* VANISHED (EARLIER) 4" {
		t.Fatalf("QRESYNC with seq-match data: %q", got)
	}
	// A pair that does not match spares nothing.
	got = tail(qs(strconv.FormatUint(uv, 10) + " " + s + " 1:6 (2 2)"))
	if len(got) != 2 || got[0] != "* VANISHED (EARLIER) 2,4" {
		t.Fatalf("QRESYNC with a stale seq-match: %q", got)
	}
	// Up to date: nothing to say.
	sel = r.expect("u", "EXAMINE INBOX", "OK")
	now := strconv.FormatUint(num(t, reHighest, sel...), 10)
	if got := tail(qs(strconv.FormatUint(uv, 10) + " " + now)); len(got) != 0 {
		t.Fatalf("QRESYNC at HIGHESTMODSEQ: %q", got)
	}
}

// cache is what a disconnected client keeps of a mailbox.
type cache struct {
	uidValidity, highest uint64
	flags                map[uint32]string // UID -> sorted flags
}

// normFlags sorts a flag list and drops \Recent, which belongs to a
// session, not to the mailbox state being compared.
func normFlags(s string) string {
	f := slices.DeleteFunc(strings.Fields(s), func(x string) bool { return x == `\Recent` })
	slices.Sort(f)
	return strings.Join(f, " ")
}

// apply folds FETCH and VANISHED responses into the cache.
func (c *cache) apply(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "* VANISHED "):
			set := parseUIDs(t, l[strings.LastIndexByte(l, ' ')+1:])
			for uid := range c.flags {
				if set.Contains(imap.UID(uid)) {
					delete(c.flags, uid)
				}
			}
		case strings.Contains(l, " FETCH ("):
			uid := uint32(num(t, reUID, l))
			m := reFlags.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("FETCH without FLAGS: %q", l)
			}
			c.flags[uid] = normFlags(m[1])
		case strings.Contains(l, "[HIGHESTMODSEQ "):
			c.highest = num(t, reHighest, l)
		case strings.Contains(l, "[UIDVALIDITY "):
			c.uidValidity = num(t, reUIDVal, l)
		}
	}
}

// parseUIDs parses a uid-set without "*" (what VANISHED sends).
func parseUIDs(t *testing.T, s string) imap.UIDSet {
	t.Helper()
	var set imap.UIDSet
	for _, part := range strings.Split(s, ",") {
		lo, hi, ok := strings.Cut(part, ":")
		if !ok {
			hi = lo
		}
		a, err1 := strconv.ParseUint(lo, 10, 32)
		b, err2 := strconv.ParseUint(hi, 10, 32)
		if err1 != nil || err2 != nil || a == 0 || b == 0 {
			t.Fatalf("bad uid-set %q", s)
		}
		set.AddRange(imap.UID(a), imap.UID(b))
	}
	return set
}

func (c *cache) knownUIDs() string {
	uids := slices.Sorted(maps.Keys(c.flags))
	return formatUIDs(uids)
}

// TestQresyncResync is the scenario of issue 4: client A caches a mailbox,
// client B changes flags and expunges, A comes back with SELECT (QRESYNC)
// and converges to B's state from the VANISHED and FETCH responses alone.
func TestQresyncResync(t *testing.T) {
	e := newEnv(t)
	setup := e.client(t, nil)
	for i := range 12 {
		var flags []imap.Flag
		if i%3 == 0 {
			flags = append(flags, imap.FlagSeen)
		}
		if i%4 == 0 {
			flags = append(flags, "$Label1")
		}
		appendMsg(t, setup, "INBOX", condMsg, flags...)
	}

	// A caches everything, then goes away.
	a := e.rawTLS(t)
	a.login()
	a.expect("a", "ENABLE QRESYNC", "OK")
	c := &cache{flags: map[uint32]string{}}
	c.apply(t, a.expect("b", "SELECT INBOX", "OK"))
	c.apply(t, a.expect("c", "UID FETCH 1:* (FLAGS)", "OK"))
	a.expect("d", "LOGOUT", "OK")
	if len(c.flags) != 12 || c.highest == 0 {
		t.Fatalf("A's cache: %+v", c)
	}

	// B changes flags, expunges (EXPUNGE and UID EXPUNGE), changes flags
	// of a message it then expunges, and sets and clears a flag again.
	b := e.client(t, nil)
	if _, err := b.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	store := func(uids imap.UIDSet, op imap.StoreFlagsOp, flags ...imap.Flag) {
		t.Helper()
		if err := b.Store(uids, &imap.StoreFlags{Op: op, Flags: flags, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
	}
	store(imap.UIDSetNum(2, 5, 7), imap.StoreFlagsAdd, imap.FlagFlagged, "$Important")
	store(imap.UIDSetNum(1), imap.StoreFlagsDel, imap.FlagSeen)
	store(imap.UIDSetNum(3, 4, 9), imap.StoreFlagsAdd, imap.FlagDeleted)
	if err := b.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	store(imap.UIDSetNum(10, 11), imap.StoreFlagsSet, imap.FlagDeleted, imap.FlagAnswered)
	if err := b.UIDExpunge(imap.UIDSetNum(11)).Close(); err != nil {
		t.Fatal(err)
	}
	store(imap.UIDSetNum(12), imap.StoreFlagsAdd, imap.FlagDraft)
	store(imap.UIDSetNum(12), imap.StoreFlagsDel, imap.FlagDraft)
	store(imap.UIDSetNum(8), imap.StoreFlagsSet)

	// A comes back.
	a = e.rawTLS(t)
	a.login()
	a.expect("a", "ENABLE QRESYNC", "OK")
	u := a.expect("b", "SELECT INBOX (QRESYNC ("+strconv.FormatUint(c.uidValidity, 10)+" "+
		strconv.FormatUint(c.highest, 10)+" "+c.knownUIDs()+"))", "OK")
	before := maps.Clone(c.flags)
	c.apply(t, u)
	exists := num(t, regexp.MustCompile(`^\* (\d+) EXISTS$`), u...)

	// B's state, fetched fresh.
	msgs, err := b.Fetch(imap.UIDSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32]string{}
	for _, m := range msgs {
		var fs []string
		for _, f := range m.Flags {
			fs = append(fs, string(f))
		}
		want[uint32(m.UID)] = normFlags(strings.Join(fs, " "))
	}
	if !maps.Equal(c.flags, want) {
		t.Fatalf("A converged to\n%v\nB has\n%v\n(A had %v; responses %q)", c.flags, want, before, u)
	}
	if int(exists) != len(want) {
		t.Fatalf("EXISTS %d, B has %d messages", exists, len(want))
	}
	// Only the changed messages were sent, not the whole mailbox.
	if n := len(grep(u, " FETCH (")); n != 6 {
		t.Fatalf("%d FETCH responses, want 6 (UIDs 1, 2, 5, 7, 10, 12): %q", n, u)
	}
	// A second resync from the new HIGHESTMODSEQ has nothing to say.
	a.expect("c", "UNSELECT", "OK")
	u = a.expect("d", "SELECT INBOX (QRESYNC ("+strconv.FormatUint(c.uidValidity, 10)+" "+
		strconv.FormatUint(c.highest, 10)+" "+c.knownUIDs()+"))", "OK")
	if containsLine(u, "VANISHED") || containsLine(u, " FETCH ") {
		t.Fatalf("resync from the current HIGHESTMODSEQ: %q", u)
	}
}

// TestSeqMatchFloor: the walk over seq-match-data stops at the first
// mismatch, at the first pair that does not ascend, and at the end of the
// view, however wide the client's ranges (RFC 7162 §3.2.5.2).
func TestSeqMatchFloor(t *testing.T) {
	sel := &selected{uids: []uint32{3, 5, 6, 9, 20}}
	tests := []struct {
		name string
		m    *wire.SeqMatch
		want uint32
	}{
		{"absent", nil, 0},
		{"one match", &wire.SeqMatch{Seqs: imap.SeqSetNum(2), UIDs: imap.UIDSetNum(5)}, 5},
		{"match then mismatch", &wire.SeqMatch{Seqs: imap.SeqSetNum(2, 4), UIDs: imap.UIDSetNum(5, 10)}, 5},
		{"first mismatches", &wire.SeqMatch{Seqs: imap.SeqSetNum(1, 4), UIDs: imap.UIDSetNum(2, 9)}, 0},
		{"ranges", &wire.SeqMatch{Seqs: imap.SeqSet{{Start: 1, Stop: 3}}, UIDs: imap.UIDSet{{Start: 3, Stop: 3}, {Start: 5, Stop: 6}}}, 6},
		{"star", &wire.SeqMatch{Seqs: imap.SeqSet{{Start: 0, Stop: 0}}, UIDs: imap.UIDSet{{Start: 0, Stop: 0}}}, 20},
		{"not ascending", &wire.SeqMatch{Seqs: imap.SeqSet{{Start: 2, Stop: 2}, {Start: 1, Stop: 1}}, UIDs: imap.UIDSet{{Start: 5, Stop: 5}, {Start: 3, Stop: 3}}}, 5},
		{"huge ranges stop at the view's end", &wire.SeqMatch{Seqs: imap.SeqSet{{Start: 1, Stop: 4294967295}}, UIDs: imap.UIDSet{{Start: 1, Stop: 4294967295}}}, 0},
		{"huge but matching prefix", &wire.SeqMatch{Seqs: imap.SeqSet{{Start: 4, Stop: 4294967295}}, UIDs: imap.UIDSet{{Start: 9, Stop: 9}, {Start: 20, Stop: 4294967295}}}, 20},
		{"fewer UIDs than seqs", &wire.SeqMatch{Seqs: imap.SeqSetNum(1, 2), UIDs: imap.UIDSetNum(3)}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := seqMatchFloor(sel, tt.m); got != tt.want {
				t.Fatalf("floor %d, want %d", got, tt.want)
			}
		})
	}
}

// TestSafeModseq: while expunges by others wait (a FETCH was running), the
// HIGHESTMODSEQ the client may cache stays below them (RFC 7162 §3.2), and
// once they are told as VANISHED it moves up.
func TestSafeModseq(t *testing.T) {
	var buf strings.Builder
	sel := &selected{uids: []uint32{1, 2, 3}, modseq: 10, recent: map[uint32]struct{}{}, reported: map[uint32]uint64{}}
	c := &conn{enc: wire.NewEncoder(&buf), sel: sel, cs: condState{condstore: true, qresync: true}, rev2: true}
	c.applyChanges(&metadatapb.ChangesResponse{HighestModseq: 15, Expunged: []uint32{2}}, true)
	if sel.safeModseq() != 10 || sel.modseq != 15 {
		t.Fatalf("pending expunge: safe %d, modseq %d", sel.safeModseq(), sel.modseq)
	}
	c.applyChanges(&metadatapb.ChangesResponse{HighestModseq: 20, Changed: []*metadatapb.MessageState{{Uid: 1, Modseq: 18, Flags: []string{`\Seen`}}}, Expunged: []uint32{3}}, true)
	if sel.safeModseq() != 10 {
		t.Fatalf("second pending expunge: safe %d", sel.safeModseq())
	}
	c.reportExpunged(slices.Clone(sel.pending))
	sel.pending = sel.pending[:0]
	if sel.safeModseq() != 20 {
		t.Fatalf("after VANISHED: safe %d", sel.safeModseq())
	}
	c.enc.Flush()
	want := "* 1 FETCH (UID 1 MODSEQ (18) FLAGS (\\Seen))\r\n* VANISHED 2:3\r\n"
	if buf.String() != want {
		t.Fatalf("wrote %q, want %q", buf.String(), want)
	}
}

// changesOnly answers Changes with a fixed response.
type changesOnly struct {
	metadatapb.MetadataClient
	resp *metadatapb.ChangesResponse
}

func (f changesOnly) Changes(ctx context.Context, in *metadatapb.ChangesRequest, opts ...grpc.CallOption) (*metadatapb.ChangesResponse, error) {
	return f.resp, nil
}

// TestVanishedHeldForSeqSearch: a UID SEARCH with sequence numbers in its
// criteria gets no VANISHED (RFC 7162 §3.2.10.2); the next command does.
func TestVanishedHeldForSeqSearch(t *testing.T) {
	var buf strings.Builder
	sel := &selected{uids: []uint32{1, 2, 3}, modseq: 10, recent: map[uint32]struct{}{}, reported: map[uint32]uint64{}}
	c := &conn{
		srv: &Server{cfg: Config{Metadata: changesOnly{resp: &metadatapb.ChangesResponse{HighestModseq: 11, Expunged: []uint32{2}}}}},
		ctx: context.Background(), enc: wire.NewEncoder(&buf), sel: sel,
		cs: condState{condstore: true, qresync: true},
	}
	if _, err := c.searchKey(&wire.SearchKey{Op: wire.SearchUIDSet, Set: imap.UIDSet{{Start: 1, Stop: 0}}}); err != nil {
		t.Fatal(err)
	}
	if c.cs.holdVanished {
		t.Fatal("a UID set holds VANISHED back")
	}
	if _, err := c.searchKey(&wire.SearchKey{Op: wire.SearchSeqSet, Set: imap.SeqSet{{Start: 1, Stop: 0}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.syncView(true, true); err != nil {
		t.Fatal(err)
	}
	c.enc.Flush()
	if buf.String() != "" || !slices.Equal(sel.pending, []uint32{2}) {
		t.Fatalf("after UID SEARCH 1:*: wrote %q, pending %v", buf.String(), sel.pending)
	}
	if err := c.syncView(true, false); err != nil {
		t.Fatal(err)
	}
	c.enc.Flush()
	if buf.String() != "* VANISHED 2\r\n" || len(sel.uids) != 2 {
		t.Fatalf("next command: wrote %q, view %v", buf.String(), sel.uids)
	}
}
