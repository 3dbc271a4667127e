package frontend

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/bench/corpus"
)

// The Dovecot differential test: the same messages, with the same flags
// and internal dates, go into postbus and into Dovecot (Debian's 2.3
// imapd, the reference server of STYLE.md's conformance suites), and every
// answer that depends on message content is compared after canonicalising
// its form (a string sent as a literal equals the same string quoted).
// Differences the project has judged against the RFCs are listed in
// testdata/dovediff/DIFFERENCES.md and in dovediffAllowed below; any other
// difference fails the test, and so does a listed one that no longer
// occurs, so the list stays true.

// dovediffCorpus is the number of generated messages (bench/corpus);
// the hand-written edge cases in testdata/dovediff come after them.
const dovediffCorpus = 300

// diffMsg is one message loaded into both servers.
type diffMsg struct {
	name     string // corpus/N or the edge-case file name
	raw      string
	internal string // APPEND date-time
	flags    string // APPEND flag list, without parentheses
}

// dovediffMessages returns the corpus messages and the edge cases. Edge
// cases are written with LF line ends for readability and converted to
// CRLF, except files named *.lf.eml, which are loaded as they are.
func dovediffMessages(t *testing.T) []diffMsg {
	t.Helper()
	// Small attachments: the comparison is about structure, not volume.
	g, err := corpus.NewGenerator(corpus.Config{Seed: 42, Messages: dovediffCorpus, MaxAttachment: 48 << 10, LargeMin: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []diffMsg
	for i := range dovediffCorpus {
		m, err := g.Message(0, i)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, diffMsg{
			name:     "corpus/" + strconv.Itoa(i),
			raw:      string(m.Raw),
			internal: m.Date.UTC().Format("02-Jan-2006 15:04:05 -0700"),
			flags:    strings.Join(m.Flags, " "),
		})
	}
	files, err := filepath.Glob("testdata/dovediff/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("edge cases: %v %v", files, err)
	}
	sort.Strings(files)
	// Flags and dates vary over the edge cases; some dates sit near
	// midnight in a zone far from UTC, where the day SEARCH SINCE/ON/
	// BEFORE compare depends on the zone.
	flagSets := []string{``, `\Seen`, `\Answered \Flagged`, `\Draft`, `$Work \Seen`, `\Deleted`, `$Work`}
	zones := []string{"+0000", "-0800", "+0530", "+1300"}
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw := string(b)
		if !strings.HasSuffix(f, ".lf.eml") {
			raw = strings.ReplaceAll(raw, "\n", "\r\n")
		}
		msgs = append(msgs, diffMsg{
			name: filepath.Base(f),
			raw:  raw,
			// In the past: Dovecot replaces a future date by the time of
			// the APPEND.
			internal: time.Date(2026, 10, 1+i%5, 23-i%3, 30, 0, 0, time.UTC).Format("02-Jan-2006 15:04:05 ") + zones[i%len(zones)],
			flags:    flagSets[i%len(flagSets)],
		})
	}
	return msgs
}

// diffFinding is one difference between the two servers' answers.
type diffFinding struct {
	Check, Msg       string
	Postbus, Dovecot string
}

// allowedDiff is a difference the project accepts (DIFFERENCES.md entry
// id): check and msg match exactly, or by prefix when they end in '*'.
type allowedDiff struct {
	id, check, msg string
}

func (a allowedDiff) matches(f diffFinding) bool {
	return globMatch(a.check, f.Check) && globMatch(a.msg, f.Msg)
}

func globMatch(pattern, s string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(s, p)
	}
	return pattern == s
}

// dovediffAllowed lists every accepted difference; the id names its entry
// in testdata/dovediff/DIFFERENCES.md, which says why postbus answers as
// it does. Each entry must match at least one finding.
var dovediffAllowed = []allowedDiff{
	// D3: Dovecot 2.3's BINARY.SIZE is not the size of its BINARY.
	{"D3", "BINARY.SIZE[*", "*"},
	// D9: no blank line in header fetches of a message with neither body
	// nor blank line (RFC 9051 §6.4.5).
	{"D9", "BODY[HEADER.FIELDS (*", "header-only.eml"},
	// D10: Dovecot drops the connection on BINARY of a message with a
	// part it cannot decode.
	{"D10", "FETCH (BINARY*", "qp-soft-break-at-end.eml"},
	// D11: internal dates compare by the day in their own zone.
	{"D11", "SEARCH ON 2-Oct-2026", "*"},
	{"D11", "SEARCH SINCE 3-Oct-2026", "*"},
	{"D11", "SEARCH BEFORE 2-Oct-2026", "*"},
	// D12: SENT* of a message without a usable Date: use the internal date.
	{"D12", "SEARCH SENTSINCE 5-Jan-2020", "*"},
	{"D12", "SEARCH SENTBEFORE 8-Jan-2020", "*"},
	{"D12", "SEARCH SENTBEFORE 1-Jan-1990", "*"},
	// D13: Dovecot's SEARCH normalises white space; postbus matches
	// substrings as written.
	{"D13", `SEARCH SUBJECT "   "`, "*"},
	// D14: FROM/TO/CC/BCC search the header field as written, comments
	// included (a known gap: RFC 9051 says the envelope's field).
	{"D14", `SEARCH FROM "boss"`, "*"},
	// D15: Dovecot reads the header of an encapsulated message that a
	// boundary cuts short on past the boundary, up to a blank line, for
	// HEADER.FIELDS[.NOT] and BINARY of the message/rfc822 part (its
	// BODYSTRUCTURE, BODY[n], BODY[n.HEADER] and sizes stop at the
	// boundary, and postbus's agree with those).
	{"D15", "BODY[1.HEADER.FIELDS*", "encoded-message.eml"},
	{"D15", "BODY[1.HEADER.FIELDS*", "cut-headers.eml"},
	{"D15", "BODY[4.HEADER.FIELDS*", "cut-headers.eml"},
	{"D15", "BODY[8.HEADER.FIELDS*", "cut-headers.eml"},
	{"D15", "BINARY[1]", "cut-headers.eml"},
	{"D15", "length of Dovecot's BINARY[1] = BINARY.SIZE[1]", "cut-headers.eml"},
}

// differ runs commands on both servers and collects findings.
type differ struct {
	t        *testing.T
	pb       *raw
	dv       *dovecot
	findings []diffFinding
	checks   int
}

func (d *differ) compare(check, msg, p, v string) {
	d.checks++
	if p != v {
		d.findings = append(d.findings, diffFinding{check, msg, p, v})
	}
}

// status is a tagged response reduced to its status and response code
// ("NO [UNKNOWN-CTE]"): the human-readable text differs by design.
func taggedStatus(tag, tagged string) string {
	s := strings.TrimPrefix(tagged, tag+" ")
	word, rest, _ := strings.Cut(s, " ")
	if strings.HasPrefix(rest, "[") {
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			return word + " " + rest[:i+1]
		}
	}
	return word
}

// both runs line on both servers and returns the untagged responses and
// the statuses; when Dovecot closes the connection instead of answering,
// its status is "(connection closed)" and a new session takes over.
func (d *differ) both(line string) (p, v []string, ps, vs string) {
	d.t.Helper()
	pu, pt := d.pb.cmd("x", line)
	vu, vt, err := d.dv.tryCmd("x", line)
	if err != nil {
		// Dovecot ends the session after some failures; a new one on
		// the same Maildir carries on (\Recent is claimed by then, so
		// the checks that see it run before any of this).
		log := d.dv.log()
		d.t.Logf("dovecot closed the connection on %.100q: %v; its log ends:\n%s", line, err, log[max(0, len(log)-600):])
		d.dv.spawn()
		if _, tagged := d.dv.cmd("s", "SELECT INBOX"); !strings.HasPrefix(tagged, "s OK") {
			d.t.Fatalf("dovecot SELECT: %q", tagged)
		}
		return pu, nil, taggedStatus("x", pt), "(connection closed)"
	}
	return pu, vu, taggedStatus("x", pt), taggedStatus("x", vt)
}

// fetches parses the FETCH responses among untagged lines, by sequence
// number; other untagged responses are dropped.
func (d *differ) fetches(server string, lines []string) map[int]map[string]ival {
	d.t.Helper()
	out := map[int]map[string]ival{}
	for _, l := range lines {
		if !strings.Contains(l, " FETCH (") {
			continue
		}
		seq, items, err := parseFetch(l)
		if err != nil {
			d.t.Fatalf("%s: %v", server, err)
		}
		if out[seq] == nil {
			out[seq] = items
		} else {
			for k, v := range items {
				out[seq][k] = v
			}
		}
	}
	return out
}

// fetch compares FETCH items of message seq (or of all when seq is 0),
// item by item.
func (d *differ) fetch(msgs []diffMsg, seq int, items string) (postbus, dovecot map[int]map[string]ival) {
	d.t.Helper()
	set := "1:*"
	if seq > 0 {
		set = strconv.Itoa(seq)
	}
	pu, vu, ps, vs := d.both("FETCH " + set + " (" + items + ")")
	if ps != "OK" || vs != "OK" {
		name := "all"
		if seq > 0 {
			name = msgs[seq-1].name
		}
		d.compare("FETCH ("+items+") status", name, ps, vs)
		return nil, nil
	}
	pf, vf := d.fetches("postbus", pu), d.fetches("dovecot", vu)
	for s := 1; s <= len(msgs); s++ {
		if seq > 0 && s != seq {
			continue
		}
		p, v := pf[s], vf[s]
		keys := map[string]bool{}
		for k := range p {
			keys[k] = true
		}
		for k := range v {
			keys[k] = true
		}
		for k := range keys {
			pv, vv := "(absent)", "(absent)"
			if x, ok := p[k]; ok {
				pv = canonItem(k, x)
			}
			if x, ok := v[k]; ok {
				vv = canonItem(k, x)
			}
			d.compare(k, msgs[s-1].name, pv, vv)
		}
	}
	return pf, vf
}

// canonItem is the canonical form of a FETCH item's value. Beyond the
// spelling of strings it drops what carries no meaning or what Dovecot
// cannot keep (DIFFERENCES.md, "Normalised"):
//   - the order of FLAGS (RFC 9051 §2.3.2, a set);
//   - the zone of INTERNALDATE: Dovecot's Maildir keeps the instant only,
//     so both are compared in UTC;
//   - the case of the BODY/BODYSTRUCTURE fields that are case-insensitive
//     (RFC 2045 §5.1 type, subtype, parameter names; §6.1 encoding; RFC
//     2183 disposition type): postbus lower-cases them, Dovecot keeps them
//     as written.
func canonItem(name string, v ival) string {
	switch {
	case name == "FLAGS" && v.kind == 'l':
		l := slices.Clone(v.l)
		slices.SortFunc(l, func(a, b ival) int { return strings.Compare(a.s, b.s) })
		v.l = l
	case name == "INTERNALDATE" && v.kind == 's':
		if tm, err := time.Parse("02-Jan-2006 15:04:05 -0700", v.s); err == nil {
			v.s = tm.UTC().Format("02-Jan-2006 15:04:05 -0700")
		}
	case name == "BODY" || name == "BODYSTRUCTURE":
		v = foldBody(v)
	}
	return v.canon()
}

// foldBody lower-cases the case-insensitive fields of a body structure
// (RFC 9051 §9 body), recursively.
func foldBody(v ival) ival {
	if v.kind != 'l' {
		return v
	}
	v.l = slices.Clone(v.l)
	l := v.l
	if isMultipartBody(v) {
		i := 0
		for ; i < len(l) && l[i].kind == 'l'; i++ {
			l[i] = foldBody(l[i])
		}
		lowerAt(l, i)      // media-subtype
		foldParams(l, i+1) // body-fld-param
		foldDsp(l, i+2)
		return v
	}
	lowerAt(l, 0)
	lowerAt(l, 1)
	foldParams(l, 2)
	lowerAt(l, 5) // body-fld-enc
	ext := 7      // body-fld-md5 of a basic part
	switch {
	case isMessageBody(v):
		l[8] = foldBody(l[8])
		ext = 10
	case len(l) > 0 && strings.EqualFold(l[0].s, "text"):
		ext = 8
	}
	foldDsp(l, ext+1)
	return v
}

func lowerAt(l []ival, i int) {
	if i < len(l) && l[i].kind == 's' {
		l[i].s = strings.ToLower(l[i].s)
	}
}

// foldParams lower-cases the names of a parameter list.
func foldParams(l []ival, i int) {
	if i >= len(l) || l[i].kind != 'l' {
		return
	}
	ps := slices.Clone(l[i].l)
	for j := 0; j < len(ps); j += 2 {
		if ps[j].kind == 's' {
			ps[j].s = strings.ToLower(ps[j].s)
		}
	}
	l[i].l = ps
}

// foldDsp lower-cases a body-fld-dsp's type and parameter names.
func foldDsp(l []ival, i int) {
	if i >= len(l) || l[i].kind != 'l' {
		return
	}
	d := slices.Clone(l[i].l)
	lowerAt(d, 0)
	foldParams(d, 1)
	l[i].l = d
}

// part is one part number a message has, from its BODYSTRUCTURE.
type part struct {
	num       string
	message   bool // message/rfc822 or message/global
	multipart bool
}

func isMultipartBody(v ival) bool { return v.kind == 'l' && len(v.l) > 0 && v.l[0].kind == 'l' }

func isMessageBody(v ival) bool {
	return v.kind == 'l' && len(v.l) > 9 && v.l[0].kind == 's' && strings.EqualFold(v.l[0].s, "message") &&
		(strings.EqualFold(v.l[1].s, "rfc822") || strings.EqualFold(v.l[1].s, "global")) && v.l[8].kind == 'l'
}

func joinPart(prefix string, n int) string {
	if prefix == "" {
		return strconv.Itoa(n)
	}
	return prefix + "." + strconv.Itoa(n)
}

// messageParts lists the parts of the message whose body is b and whose
// own part number is prefix ("" for the top level), RFC 9051 §6.4.5: the
// parts of a multipart are numbered from 1, a non-multipart body is part 1.
func messageParts(b ival, prefix string, out []part) []part {
	if isMultipartBody(b) {
		return multipartParts(b, prefix, out)
	}
	num := joinPart(prefix, 1)
	out = append(out, part{num: num, message: isMessageBody(b)})
	if isMessageBody(b) {
		out = messageParts(b.l[8], num, out)
	}
	return out
}

func multipartParts(b ival, prefix string, out []part) []part {
	for i, c := range b.l {
		if c.kind != 'l' {
			break
		}
		num := joinPart(prefix, i+1)
		out = append(out, part{num: num, message: isMessageBody(c), multipart: isMultipartBody(c)})
		switch {
		case isMultipartBody(c):
			out = multipartParts(c, num, out)
		case isMessageBody(c):
			out = messageParts(c.l[8], num, out)
		}
	}
	return out
}

// sectionItems are the FETCH items that read sections of a message with
// the given parts: the whole-message sections, and per part its body, MIME
// header, a partial range and, for encapsulated messages, their HEADER,
// TEXT and HEADER.FIELDS[.NOT]; then a part number past the last.
func sectionItems(parts []part) []string {
	items := []string{
		"BODY.PEEK[]<0.64>", "BODY.PEEK[]<40.1000000>", "BODY.PEEK[]<99999999.5>",
		"BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]", "BODY.PEEK[TEXT]<7.33>", "RFC822.HEADER",
		"BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID X-NOPE)]",
		"BODY.PEEK[HEADER.FIELDS.NOT (RECEIVED SUBJECT FROM CONTENT-TYPE)]",
		"BODY.PEEK[HEADER.FIELDS (CONTENT-TYPE)]<3.20>",
	}
	top := 0
	for _, p := range parts {
		items = append(items, "BODY.PEEK["+p.num+"]", "BODY.PEEK["+p.num+".MIME]", "BODY.PEEK["+p.num+"]<2.9>")
		if p.message {
			items = append(items, "BODY.PEEK["+p.num+".HEADER]", "BODY.PEEK["+p.num+".TEXT]",
				"BODY.PEEK["+p.num+".HEADER.FIELDS (SUBJECT FROM)]", "BODY.PEEK["+p.num+".HEADER.FIELDS.NOT (SUBJECT)]")
		}
		if !strings.Contains(p.num, ".") {
			top++
		}
	}
	return append(items, "BODY.PEEK["+strconv.Itoa(top+1)+"]")
}

// dovediffSearches are SEARCH criteria over the corpus tokens
// (bench/corpus doc: zqfNNx From, zqtNNx To, zqsNNx Subject, zqbNNx body)
// and over the edge cases.
var dovediffSearches = []string{
	"ALL", "FROM zqf03x", "FROM example.org", "TO zqt05x", "CC example.org", "BCC x@example.org",
	"SUBJECT zqs01x", "SUBJECT threading", `SUBJECT "Re:"`, "SUBJECT nested", "SUBJECT café",
	"BODY zqb02x", "TEXT zqb02x", "TEXT zqf03x", "BODY zqf03x", "BODY deployment", `BODY "Hello World"`,
	`BODY "inner plain"`, `TEXT "wrapped body"`, "BODY Rückmeldung", "BODY crème", "BODY Mülle",
	"BODY attached", `BODY "=3D"`, "TEXT NUL", `HEADER Message-ID "m17."`, `HEADER List-Id ""`,
	`HEADER X-Long aaaa`, `HEADER Subject ""`, `HEADER X-Empty ""`, `HEADER Content-Type multipart`,
	"SEEN", "UNSEEN", "FLAGGED", "UNFLAGGED", "ANSWERED", "UNANSWERED", "DELETED", "UNDELETED", "DRAFT", "UNDRAFT",
	"KEYWORD $Work", "UNKEYWORD $Work", "NEW", "OLD", "RECENT",
	"SINCE 5-Jan-2020", "BEFORE 8-Jan-2020", "ON 3-Jan-2020", "SENTSINCE 5-Jan-2020", "SENTBEFORE 8-Jan-2020",
	"SENTON 3-Jan-2020", "ON 2-Oct-2026", "SINCE 3-Oct-2026", "BEFORE 2-Oct-2026", "SENTON 11-Nov-2026", "SENTON 5-Nov-2026",
	"SENTBEFORE 1-Jan-1990", "LARGER 5000", "SMALLER 1000", "LARGER 30000", "SMALLER 300",
	"NOT SEEN", "NOT FROM zqf03x", "OR FROM zqf03x TO zqt05x", "OR SEEN NOT FLAGGED", "NOT OR DRAFT (SUBJECT zqs01x FROM zqf01x)",
	"(OR SUBJECT zqs02x SUBJECT zqs03x) SEEN", "1:10", "5,7,9", "*", "290:*", "10:5", "1:10 UNSEEN",
	"UID 3:8", "UID 100:*", "UID 5,300:302", "NOT UID 1:250", "UID 999", "OR 1:3 UID 310:*",
	// Body search on non-text parts and MIME structure: the transfer
	// encoding (JVBERi0 is "%PDF-" in base64), decoded binary content,
	// MIME headers of parts, preamble and epilogue, nested messages.
	`BODY "JVBERi0"`, `BODY "%PDF"`, `BODY "Content-Type"`, `TEXT "Content-Type: text/html"`,
	`BODY "preamble"`, `BODY "epilogue"`, `BODY "Inner html"`, `TEXT "Middle <middle"`, `BODY "data.bin"`,
	`BODY "iVBORw0KGgo"`, `BODY "<p>"`, `BODY "hi"`, `HEADER Content-Disposition attachment`,
	`BODY "digest one"`, `TEXT "digest two"`, `BODY "soft line break"`, `BODY "=C3=A9"`, `BODY "café"`,
	`SUBJECT "   "`, `SUBJECT ""`, `FROM ""`, `TO "undisclosed"`, `CC "A Team"`, `FROM "Smith, John"`,
	`FROM "boss"`, `TO "john doe"`, `HEADER X-Long ""`, `HEADER "this line has no colon" ""`,
	// Body search in parts whose media type is malformed (D6): which
	// parts count as text.
	`BODY "no subtype"`, `BODY "garbage type"`, `BODY "param without value"`, `BODY "aGVsbG8"`, `BODY "hello world"`,
	`BODY "Address syntax"`, `BODY "two blank lines"`, `TEXT "inner multipart message"`,
	// message/* leaves and parts under an unknown encoding.
	`BODY "Action: failed"`, `BODY "uuencoded words"`, `TEXT "uuencoded words"`, `BODY "the original"`,
}

// dovediffSortThread are SORT (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO)
// and THREAD commands over the whole mailbox.
var dovediffSortThread = []string{
	"SORT (ARRIVAL) UTF-8 ALL", "SORT (CC) UTF-8 ALL", "SORT (DATE) UTF-8 ALL", "SORT (FROM) UTF-8 ALL",
	"SORT (SIZE) UTF-8 ALL", "SORT (SUBJECT) UTF-8 ALL", "SORT (TO) UTF-8 ALL", "SORT (DISPLAYFROM) UTF-8 ALL",
	"SORT (DISPLAYTO) UTF-8 ALL", "SORT (REVERSE ARRIVAL) UTF-8 ALL", "SORT (REVERSE DATE) UTF-8 ALL",
	"SORT (REVERSE SUBJECT REVERSE FROM) UTF-8 ALL", "SORT (REVERSE SIZE) UTF-8 ALL",
	"SORT (SUBJECT DATE) UTF-8 SEEN", "SORT (DISPLAYFROM SUBJECT) UTF-8 ALL", "SORT (REVERSE DISPLAYTO) UTF-8 ALL",
	"SORT (CC SIZE) UTF-8 FROM example.org", "UID SORT (DATE) UTF-8 ALL",
	"THREAD REFERENCES UTF-8 ALL", "THREAD ORDEREDSUBJECT UTF-8 ALL", "UID THREAD REFERENCES UTF-8 ALL",
	"THREAD REFERENCES UTF-8 SUBJECT zqs01x", "THREAD ORDEREDSUBJECT UTF-8 UNSEEN",
}

// searchResult is the sorted number list of "* SEARCH" responses.
func searchResult(lines []string) string {
	var nums []int
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "* SEARCH"); ok {
			for _, f := range strings.Fields(rest) {
				n, _ := strconv.Atoi(f)
				nums = append(nums, n)
			}
		}
	}
	slices.Sort(nums)
	var b strings.Builder
	for i, n := range nums {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// linesWith returns the untagged responses starting with prefix.
func linesWith(lines []string, prefix string) string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return strings.Join(out, "\n")
}

// searchArg spells a SEARCH line: criteria with non-ASCII text go as
// UTF-8 literals (LITERAL+), with CHARSET UTF-8.
func searchArg(c string) string {
	if isASCII(c) {
		return c
	}
	key, text, _ := strings.Cut(c, " ")
	return "CHARSET UTF-8 " + key + " {" + strconv.Itoa(len(text)) + "+}\r\n" + text
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestDovecotDifferential(t *testing.T) {
	requireDovecot(t)
	msgs := dovediffMessages(t)
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	// Messages with 8-bit headers are loaded by a session that enabled
	// UTF8=ACCEPT: without it postbus must refuse them (RFC 6855 §4),
	// which Dovecot 2.3, without UTF8=ACCEPT, does not.
	loader := e.rawTLS(t)
	loader.login()
	loader.expect("e", "ENABLE UTF8=ACCEPT", "OK")
	dv := startDovecot(t)
	for _, m := range msgs {
		loader.send("A APPEND INBOX (" + m.flags + `) "` + m.internal + `" {` + itoa(len(m.raw)) + "+}\r\n" + m.raw + "\r\n")
		if _, tagged := loader.until("A"); !strings.HasPrefix(tagged, "A OK") {
			t.Fatalf("postbus APPEND %s: %q", m.name, tagged)
		}
		dv.appendAt("INBOX", m.flags, m.internal, m.raw)
	}
	r.expect("s", "SELECT INBOX", "OK")
	if _, tagged := dv.cmd("s", "SELECT INBOX"); !strings.HasPrefix(tagged, "s OK") {
		t.Fatalf("dovecot SELECT: %q", tagged)
	}
	d := &differ{t: t, pb: r, dv: dv}

	// RFC 9051 §7.5.2 items computed at APPEND.
	all, _ := d.fetch(msgs, 0, "FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE")
	for _, c := range dovediffSearches {
		pu, vu, ps, vs := d.both("SEARCH " + searchArg(c))
		d.compare("SEARCH "+c, "*", ps+" "+searchResult(pu), vs+" "+searchResult(vu))
	}
	for _, c := range dovediffSortThread {
		pu, vu, ps, vs := d.both(c)
		prefix := "* SORT"
		if strings.Contains(c, "THREAD") {
			prefix = "* THREAD"
		}
		d.compare(c, "*", ps+" "+linesWith(pu, prefix), vs+" "+linesWith(vu, prefix))
	}

	// Sections, per message, numbered from postbus's BODYSTRUCTURE (equal
	// to Dovecot's unless a finding says otherwise).
	for seq := 1; seq <= len(msgs); seq++ {
		parts := messageParts(all[seq]["BODYSTRUCTURE"], "", nil)
		for _, p := range parts {
			if !p.multipart {
				d.fetch(msgs, seq, "BINARY.SIZE["+p.num+"]")
			}
		}
		d.fetch(msgs, seq, strings.Join(sectionItems(parts), " "))
		// RFC 3516 BINARY and BINARY.SIZE of every part, in a FETCH of
		// their own: a part that does not decode fails the whole command.
		for _, p := range parts {
			if p.multipart {
				continue
			}
			pf, vf := d.fetch(msgs, seq, "BINARY.PEEK["+p.num+"] BINARY.SIZE["+p.num+"] BINARY.PEEK["+p.num+"]<1.7>")
			// Dovecot 2.3's BINARY.SIZE is often wrong (DIFFERENCES.md):
			// postbus's must be the length of the content both send.
			if vb, ok := vf[seq]["BINARY["+p.num+"]"]; ok {
				d.compare("length of Dovecot's BINARY["+p.num+"] = BINARY.SIZE["+p.num+"]", msgs[seq-1].name,
					pf[seq]["BINARY.SIZE["+p.num+"]"].canon(), strconv.Itoa(len(vb.s)))
			}
		}
	}
	if path := os.Getenv("POSTBUS_DOVEDIFF_DUMP"); path != "" {
		// Every finding in full, for whoever updates DIFFERENCES.md.
		b, err := json.MarshalIndent(d.findings, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	used := make([]bool, len(dovediffAllowed))
	unexpected := 0
	for _, f := range d.findings {
		ok := false
		for i, a := range dovediffAllowed {
			if a.matches(f) {
				used[i], ok = true, true
			}
		}
		if !ok {
			unexpected++
			t.Errorf("new difference: %s of %s\n postbus %s\n dovecot %s", f.Check, f.Msg, clip(f.Postbus), clip(f.Dovecot))
		}
	}
	for i, a := range dovediffAllowed {
		if !used[i] {
			t.Errorf("listed difference %s (%s of %s) no longer occurs: remove it from dovediffAllowed and DIFFERENCES.md", a.id, a.check, a.msg)
		}
	}
	t.Logf("%d messages, %d checks, %d differences (%d unexpected)", len(msgs), d.checks, len(d.findings), unexpected)
}

// clip shortens a value for a failure message.
func clip(s string) string {
	if len(s) > 700 {
		return s[:700] + "…"
	}
	return s
}

// TestFetchSectionsLikeDovecot pins the FETCH fixes the differential led
// to, without needing Dovecot: a NUL in a BODY section is sent as 0x80
// (a literal cannot carry NUL, RFC 9051 §4.3) while BINARY keeps it in a
// literal8; a part the message lacks is an empty string; a message with no
// body and no blank line gets no blank line in HEADER.FIELDS (§6.4.5).
func TestFetchSectionsLikeDovecot(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	r.appendRaw("INBOX", "Subject: nul\r\n\r\nab\x00c\r\n")
	r.appendRaw("INBOX", "From: a@x\r\nSubject: no body")
	r.expect("s", "SELECT INBOX", "OK")
	tests := []struct {
		cmd, want string
	}{
		{"FETCH 1 BODY.PEEK[TEXT]", "BODY[TEXT] {6}\r\nab\x80c\r\n)"},
		{"FETCH 1 BODY.PEEK[]<17.3>", "BODY[]<17> {3}\r\nb\x80c)"},
		{"FETCH 1 RFC822.TEXT", "RFC822.TEXT {6}\r\nab\x80c\r\n"},
		{"FETCH 1 BINARY.PEEK[1]", "BINARY[1] ~{6}\r\nab\x00c\r\n)"},
		{"FETCH 1 (BODY.PEEK[2] BODY.PEEK[1.2.3] BINARY.PEEK[3])", `BODY[2] "" BODY[1.2.3] "" BINARY[3] ""`},
		{"FETCH 2 BODY.PEEK[HEADER.FIELDS (SUBJECT)]", "BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: no body\r\n)"},
		{"FETCH 2 BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM)]", "BODY[HEADER.FIELDS.NOT (SUBJECT FROM)] {0}\r\n)"},
	}
	for _, tt := range tests {
		u := r.expect("f", tt.cmd, "OK")
		if !containsLine(u, tt.want) {
			t.Errorf("%s: %q, want %q in it", tt.cmd, u, tt.want)
		}
	}
	// A BINARY of a part that does not exist, and a bad section, are
	// still tagged answers on a live connection.
	r.expect("b", "FETCH 1 BINARY.PEEK[1.MIME]", "BAD")
	r.expect("n", "NOOP", "OK")
}

// TestDovecotDifferentialRandom compares ENVELOPE, BODY, BODYSTRUCTURE and
// the body sections of every part (BODY[n], BODY[n.MIME], and HEADER and
// TEXT of encapsulated messages) for seeded random messages: MIME trees
// with nested and reused boundaries, missing delimiters, cut headers,
// epilogues; random Content-* values; random address lists. The edge
// cases pin the readings DIFFERENCES.md describes; this test looks for
// readings nobody thought of. HEADER.FIELDS is left out (D15) and so is
// BINARY (D3, D10); nothing else may differ.
func TestDovecotDifferentialRandom(t *testing.T) {
	requireDovecot(t)
	rng := rand.New(rand.NewPCG(2026, 11))
	var msgs []diffMsg
	add := func(kind string, raw string) {
		msgs = append(msgs, diffMsg{
			name:     kind + "/" + strconv.Itoa(len(msgs)),
			raw:      strings.ReplaceAll(raw, "\n", "\r\n"),
			internal: "01-Oct-2026 12:00:00 +0000",
		})
	}
	for range 250 {
		add("tree", randomTree(rng))
	}
	for range 150 {
		add("content", randomContentFields(rng))
	}
	for range 150 {
		add("addresses", randomAddresses(rng))
	}
	e := newEnv(t)
	r := e.rawTLS(t)
	r.login()
	dv := startDovecot(t)
	for _, m := range msgs {
		r.send("A APPEND INBOX {" + itoa(len(m.raw)) + "+}\r\n" + m.raw + "\r\n")
		if _, tagged := r.until("A"); !strings.HasPrefix(tagged, "A OK") {
			t.Fatalf("postbus APPEND %s: %q", m.name, tagged)
		}
		dv.appendAt("INBOX", "", m.internal, m.raw)
	}
	r.expect("s", "SELECT INBOX", "OK")
	if _, tagged := dv.cmd("s", "SELECT INBOX"); !strings.HasPrefix(tagged, "s OK") {
		t.Fatalf("dovecot SELECT: %q", tagged)
	}
	d := &differ{t: t, pb: r, dv: dv}
	all, _ := d.fetch(msgs, 0, "ENVELOPE BODY BODYSTRUCTURE")
	for seq := 1; seq <= len(msgs); seq++ {
		var items []string
		for _, p := range messageParts(all[seq]["BODYSTRUCTURE"], "", nil) {
			items = append(items, "BODY.PEEK["+p.num+"]", "BODY.PEEK["+p.num+".MIME]")
			if p.message {
				items = append(items, "BODY.PEEK["+p.num+".HEADER]", "BODY.PEEK["+p.num+".TEXT]")
			}
		}
		d.fetch(msgs, seq, strings.Join(items, " "))
	}
	for _, f := range d.findings {
		m := msgs[0]
		for _, x := range msgs {
			if x.name == f.Msg {
				m = x
			}
		}
		t.Errorf("%s of %s\n postbus %s\n dovecot %s\nmessage:\n%s", f.Check, f.Msg, clip(f.Postbus), clip(f.Dovecot), clip(m.raw))
	}
	t.Logf("%d random messages, %d checks, %d differences", len(msgs), d.checks, len(d.findings))
}

// randomTree is a message with a random MIME tree, damaged at random:
// boundaries that prefix or repeat each other, missing close delimiters,
// preambles and epilogues, lost blank lines, stray delimiter lines.
func randomTree(rng *rand.Rand) string {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	var entity func(depth int, digest bool) []string
	entity = func(depth int, digest bool) []string {
		var hdr, body []string
		switch r := rng.Float64(); {
		case depth < 4 && r < 0.35:
			b := pick("b", "b", "bb", "b-", "=_x", `"q"`, "b0")
			sub := pick("mixed", "alternative", "digest")
			hdr = append(hdr, "Content-Type: multipart/"+sub+"; boundary="+b)
			bv := strings.Trim(b, `"`)
			for range rng.IntN(3) {
				body = append(body, pick("", "preamble"))
			}
			for range rng.IntN(4) {
				body = append(body, "--"+bv+pick("", "", " ", " pad"))
				body = append(body, entity(depth+1, sub == "digest")...)
			}
			if rng.Float64() < 0.8 {
				body = append(body, "--"+bv+"--"+pick("", "", " junk"))
			}
			for range rng.IntN(3) {
				body = append(body, pick("", "epilogue", "--"+bv))
			}
		case depth < 4 && r < 0.55:
			hdr = append(hdr, "Content-Type: message/rfc822")
			body = entity(depth+1, false)
		default:
			if !digest || rng.Float64() < 0.4 {
				hdr = append(hdr, "Content-Type: "+pick("text/plain", "text/html", "application/pdf"))
			}
			if rng.Float64() < 0.3 {
				hdr = append(hdr, pick("Subject: inner", "X-A: b", " folded"))
			}
			for range rng.IntN(4) {
				body = append(body, pick("hi", "", "--", " x", "--b"))
			}
		}
		out := hdr
		if rng.Float64() < 0.85 || len(body) == 0 {
			out = append(out, "")
		}
		out = append(out, body...)
		if rng.Float64() < 0.1 && len(out) > 0 {
			i := rng.IntN(len(out))
			out = append(out[:i], out[i+1:]...)
		}
		if rng.Float64() < 0.1 {
			i := rng.IntN(len(out) + 1)
			out = append(out[:i], append([]string{pick("", "--b", "--b--")}, out[i:]...)...)
		}
		return out
	}
	lines := append([]string{"From: a@example.org", "Subject: tree", "MIME-Version: 1.0"}, entity(0, false)...)
	s := strings.Join(lines, "\n")
	if rng.Float64() < 0.7 {
		s += "\n"
	}
	return s
}

// randomContentFields is a multipart whose parts have random Content-Type,
// Content-Disposition, Content-Transfer-Encoding, Content-Language and
// Content-ID values, and random Subject, Date, Message-ID, In-Reply-To.
func randomContentFields(rng *rand.Rand) string {
	tokens := []string{"text", "plain", "html", "multipart", "message", "rfc822", "application", "x.y", "/", "/", ";", ";",
		"=", "=", `"`, `"a b"`, "(c)", "(u", " ", "\t", "charset", "us-ascii", "name", "*", "*0", "*1", "*0*", "%41", "''",
		"boundary", "z", `\`, ".", "@", "==?u?q?a?=", ","}
	value := func(n int) string {
		var b strings.Builder
		for range rng.IntN(n) {
			b.WriteString(tokens[rng.IntN(len(tokens))])
		}
		if rng.Float64() < 0.2 {
			s := b.String()
			i := rng.IntN(len(s) + 1)
			return s[:i] + "\n " + s[i:]
		}
		return b.String()
	}
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	var b strings.Builder
	b.WriteString("From: a@example.org\nSubject:" + pick(" s", "\n s", "  s  ", "\n\t\n  s", "") + "\n")
	b.WriteString("Message-ID:" + pick(" <m@x>", "\n <m@x>", "<m@x>  ", "", "\t<m@x>", "  ") + "\n")
	b.WriteString("In-Reply-To:" + pick(" <m@x> <n@y>", "\n <m@x>", " (c) <m@x>", "") + "\n")
	b.WriteString("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=zz\n\n")
	for range 1 + rng.IntN(4) {
		b.WriteString("--zz\n")
		if rng.Float64() < 0.9 {
			b.WriteString("Content-Type: " + value(10) + "\n")
		}
		if rng.Float64() < 0.4 {
			b.WriteString("Content-Disposition: " + value(8) + "\n")
		}
		if rng.Float64() < 0.3 {
			b.WriteString("Content-Transfer-Encoding: " + pick("base64", "8BIT", " base64 ", "base64 (c)", "x-uu", "base64 j", "", "(c) 8bit") + "\n")
		}
		if rng.Float64() < 0.3 {
			b.WriteString("Content-Language: " + pick("en", "en, de", " en ,de", "en;fr", "(c)en", "", ",en") + "\n")
		}
		if rng.Float64() < 0.3 {
			b.WriteString("Content-ID:" + pick(" <a@b>", "\n <a@b>", "<a@b>  ", "", "  ") + "\n")
		}
		b.WriteString("\nbody\n")
	}
	b.WriteString("--zz--\n")
	return b.String()
}

// randomAddresses is a message whose six address fields are random
// sequences of address syntax.
func randomAddresses(rng *rand.Rand) string {
	tokens := []string{"a", "bob", "x.y", `"q s"`, `""`, `"a\"b"`, "<", ">", "@", "@ex.org", "ex.org", ".", ",", ";", ":",
		"(c)", "(un", `\`, " ", " ", "[1.2.3.4]", "[x", "=?utf-8?q?a?=", "Name", "J.", "<>", "<@r:", "@r1,@r2:", "grp:", "\t"}
	var b strings.Builder
	for _, f := range []string{"From", "Sender", "Reply-To", "To", "Cc", "Bcc"} {
		b.WriteString(f + ": ")
		for range 1 + rng.IntN(8) {
			b.WriteString(tokens[rng.IntN(len(tokens))])
			if rng.IntN(2) == 0 {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	b.WriteString("Subject: addresses\n\nx\n")
	return b.String()
}
