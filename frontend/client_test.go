package frontend

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const multipartMsg = "From: Bob <bob@example.org>\r\n" +
	"To: Alice <alice@example.org>\r\n" +
	"Subject: report\r\n" +
	"Date: Tue, 24 Nov 2026 09:30:00 +0100\r\n" +
	"Message-ID: <m1@example.org>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=XYZ\r\n" +
	"\r\n" +
	"--XYZ\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"see attachment\r\n" +
	"--XYZ\r\n" +
	"Content-Type: application/octet-stream\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"AAECAwQ=\r\n" +
	"--XYZ--\r\n"

const simpleMsg = "From: Carol <carol@example.org>\r\n" +
	"To: Alice <alice@example.org>\r\n" +
	"Subject: lunch?\r\n" +
	"Date: Wed, 25 Nov 2026 12:00:00 +0000\r\n" +
	"\r\n" +
	"pizza at noon\r\n"

func appendMsg(t *testing.T, c *imapclient.Client, mailbox, msg string, flags ...imap.Flag) *imap.AppendData {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(msg)), &imap.AppendOptions{Flags: flags, Time: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)})
	if _, err := cmd.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("APPEND: %v", err)
	}
	return data
}

func TestAppendFetch(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	ad := appendMsg(t, c, "INBOX", multipartMsg, imap.FlagFlagged)
	if ad.UID != 1 || ad.UIDValidity == 0 {
		t.Errorf("APPENDUID = %+v", ad)
	}
	appendMsg(t, c, "INBOX", simpleMsg)

	sd, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sd.NumMessages != 2 || sd.UIDValidity != ad.UIDValidity || sd.UIDNext != 3 {
		t.Errorf("SELECT = %+v", sd)
	}

	textSec := &imap.FetchItemBodySection{Part: []int{1}, Peek: true}
	hdrSec := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	binSec := &imap.FetchItemBinarySection{Part: []int{2}, Peek: true}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{
		UID: true, Flags: true, Envelope: true, RFC822Size: true, InternalDate: true,
		BodyStructure:     &imap.FetchItemBodyStructure{Extended: true},
		BodySection:       []*imap.FetchItemBodySection{textSec, hdrSec},
		BinarySection:     []*imap.FetchItemBinarySection{binSec},
		BinarySectionSize: []*imap.FetchItemBinarySectionSize{{Part: []int{2}}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	m := msgs[0]
	if m.UID != 1 || m.RFC822Size != int64(len(multipartMsg)) {
		t.Errorf("UID %d size %d", m.UID, m.RFC822Size)
	}
	if !slices.Contains(m.Flags, imap.FlagFlagged) || slices.Contains(m.Flags, imap.FlagSeen) {
		t.Errorf("flags %v", m.Flags)
	}
	if m.Envelope == nil || m.Envelope.Subject != "report" || m.Envelope.MessageID != "m1@example.org" ||
		len(m.Envelope.From) != 1 || m.Envelope.From[0].Addr() != "bob@example.org" {
		t.Errorf("envelope %+v", m.Envelope)
	}
	mp, ok := m.BodyStructure.(*imap.BodyStructureMultiPart)
	if !ok || mp.Subtype != "mixed" || len(mp.Children) != 2 {
		t.Errorf("bodystructure %#v", m.BodyStructure)
	}
	if got := string(m.FindBodySection(textSec)); got != "see attachment" {
		t.Errorf("BODY[1] = %q", got)
	}
	if got := string(m.FindBodySection(hdrSec)); !strings.HasPrefix(got, "From: Bob") || !strings.HasSuffix(got, "\r\n\r\n") {
		t.Errorf("BODY[HEADER] = %q", got)
	}
	if got := m.FindBinarySection(binSec); !bytes.Equal(got, []byte{0, 1, 2, 3, 4}) {
		t.Errorf("BINARY[2] = %v", got)
	}
	if n, ok := m.FindBinarySectionSize([]int{2}); !ok || n != 5 {
		t.Errorf("BINARY.SIZE[2] = %d %v", n, ok)
	}
	if !m.InternalDate.Equal(time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("INTERNALDATE %v", m.InternalDate)
	}

	// A non-PEEK body fetch sets \Seen and reports it.
	full := &imap.FetchItemBodySection{}
	msgs, err = c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{full}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if string(msgs[0].FindBodySection(full)) != simpleMsg {
		t.Errorf("BODY[] = %q", msgs[0].FindBodySection(full))
	}
	if !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		t.Errorf("no \\Seen after BODY[]: %v", msgs[0].Flags)
	}
	// Partial fetch.
	part := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText, Partial: &imap.SectionPartial{Offset: 6, Size: 2}, Peek: true}
	msgs, err = c.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{part}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(msgs[0].FindBodySection(part)); got != "at" {
		t.Errorf("BODY[TEXT]<6.2> = %q", got)
	}
}

func TestStoreSearchExpunge(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	for i := 0; i < 4; i++ {
		appendMsg(t, c, "INBOX", simpleMsg)
	}
	appendMsg(t, c, "INBOX", multipartMsg)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Store(imap.SeqSetNum(2, 4), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted, "$Work"}}, nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || !slices.Contains(msgs[0].Flags, imap.FlagDeleted) || !slices.Contains(msgs[1].Flags, "$Work") {
		t.Errorf("STORE responses %+v", msgs)
	}
	sd, err := c.Search(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.AllSeqNums(); !slices.Equal(got, []uint32{2, 4}) {
		t.Errorf("SEARCH DELETED = %v", got)
	}
	sd, err = c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "REPORT"}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.AllUIDs(); !slices.Equal(got, []imap.UID{5}) {
		t.Errorf("UID SEARCH SUBJECT = %v", got)
	}
	sd, err = c.Search(&imap.SearchCriteria{Body: []string{"pizza"}}, &imap.SearchOptions{ReturnMin: true, ReturnMax: true, ReturnCount: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sd.Min != 1 || sd.Max != 4 || sd.Count != 4 {
		t.Errorf("ESEARCH = %+v", sd)
	}
	// Silent store answers nothing.
	msgs, err = c.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: []imap.Flag{imap.FlagAnswered}}, nil).Collect()
	if err != nil || len(msgs) != 0 {
		t.Errorf("STORE.SILENT: %v %+v", err, msgs)
	}
	seqs, err := c.Expunge().Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seqs, []uint32{2, 3}) {
		t.Errorf("EXPUNGE = %v, want [2 3]", seqs)
	}
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDNext: true, NumUnseen: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != 3 || st.UIDNext != 6 || *st.NumUnseen != 3 {
		t.Errorf("STATUS = %+v", st)
	}
	// UID EXPUNGE only touches the given UIDs.
	if err := c.Store(imap.SeqSetNum(1, 2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	seqs, err = c.UIDExpunge(imap.UIDSetNum(3)).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seqs, []uint32{2}) {
		t.Errorf("UID EXPUNGE = %v", seqs)
	}
}

func TestCopyMove(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	for i := 0; i < 3; i++ {
		appendMsg(t, c, "INBOX", simpleMsg)
	}
	if err := c.Create("Work", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	cd, err := c.Copy(imap.SeqSetNum(1, 2), "Work").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if cd.SourceUIDs.String() != "1:2" || cd.DestUIDs.String() != "1:2" {
		t.Errorf("COPYUID %+v", cd)
	}
	md, err := c.Move(imap.SeqSetNum(3), "Work").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if md.DestUIDs.String() != "3" {
		t.Errorf("MOVE COPYUID %+v", md)
	}
	if n := c.Mailbox().NumMessages; n != 2 {
		t.Errorf("INBOX has %d messages after MOVE", n)
	}
	st, err := c.Status("Work", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != 3 {
		t.Errorf("Work has %d", *st.NumMessages)
	}
	_, err = c.Copy(imap.SeqSetNum(1), "Nope").Wait()
	if err == nil || !strings.Contains(err.Error(), "TRYCREATE") {
		t.Errorf("COPY to missing mailbox: %v", err)
	}
}

func TestMailboxes(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	for _, name := range []string{"Projects/A", "Projects/B", "Ünïcode"} {
		if err := c.Create(name, nil).Wait(); err != nil {
			t.Fatalf("CREATE %s: %v", name, err)
		}
	}
	if err := c.Create("Projects/A", nil).Wait(); err == nil || !strings.Contains(err.Error(), "ALREADYEXISTS") {
		t.Errorf("CREATE twice: %v", err)
	}
	if err := c.Create("Stuff", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrFlagged}}).Wait(); err != nil {
		t.Fatalf("CREATE USE: %v", err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*imap.ListData{}
	for _, l := range list {
		byName[l.Mailbox] = l
	}
	for _, want := range []string{"INBOX", "Projects", "Projects/A", "Projects/B", "Ünïcode", "Stuff"} {
		if byName[want] == nil {
			t.Errorf("LIST lacks %q (got %v)", want, names(list))
		}
	}
	if l := byName["Projects"]; l != nil && !slices.Contains(l.Attrs, imap.MailboxAttrHasChildren) {
		t.Errorf("Projects attrs %v", l.Attrs)
	}
	if l := byName["Stuff"]; l != nil && !slices.Contains(l.Attrs, imap.MailboxAttrFlagged) {
		t.Errorf("Stuff attrs %v", l.Attrs)
	}
	list, err = c.List("", "Projects/%", nil).Collect()
	if err != nil || len(list) != 2 {
		t.Errorf("LIST Projects/%%: %v %v", err, names(list))
	}
	if err := c.Rename("Projects/A", "Archive/A", nil).Wait(); err != nil {
		t.Fatalf("RENAME: %v", err)
	}
	if err := c.Delete("Projects/B").Wait(); err != nil {
		t.Fatalf("DELETE: %v", err)
	}
	if err := c.Delete("Nope").Wait(); err == nil || !strings.Contains(err.Error(), "NONEXISTENT") {
		t.Errorf("DELETE missing: %v", err)
	}
	if err := c.Subscribe("Archive/A").Wait(); err != nil {
		t.Fatal(err)
	}
	list, err = c.List("", "*", &imap.ListOptions{SelectSubscribed: true, ReturnStatus: &imap.StatusOptions{NumMessages: true}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range list {
		if l.Mailbox == "Archive/A" {
			found = slices.Contains(l.Attrs, imap.MailboxAttrSubscribed) && l.Status != nil && l.Status.NumMessages != nil
		}
	}
	if !found {
		t.Errorf("LIST (SUBSCRIBED) RETURN (STATUS): %v", names(list))
	}
	if _, err := c.Select("Nope", nil).Wait(); err == nil {
		t.Error("SELECT of a missing mailbox succeeded")
	}
}

func names(l []*imap.ListData) []string {
	var out []string
	for _, d := range l {
		out = append(out, d.Mailbox)
	}
	return out
}

// Two sessions on one mailbox: each sees the other's changes at the
// moments the RFC allows, and IDLE gets them pushed.
func TestTwoSessions(t *testing.T) {
	e := newEnv(t)
	updates := make(chan string, 100)
	a := e.client(t, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Expunge: func(seq uint32) { updates <- "EXPUNGE " + itoa(int(seq)) },
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				updates <- "EXISTS " + itoa(int(*d.NumMessages))
			}
		},
		Fetch: func(m *imapclient.FetchMessageData) {
			for {
				item := m.Next()
				if item == nil {
					break
				}
				if f, ok := item.(imapclient.FetchItemDataFlags); ok {
					updates <- "FLAGS " + itoa(int(m.SeqNum)) + " " + flagString(f.Flags)
				}
			}
		},
	}})
	b := e.client(t, nil)
	appendMsg(t, b, "INBOX", simpleMsg)
	if _, err := a.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	appendMsg(t, b, "INBOX", simpleMsg)
	if err := a.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	expectUpdate(t, updates, "EXISTS 2")

	if err := b.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Expunge().Collect(); err != nil {
		t.Fatal(err)
	}
	// FETCH must not carry the EXPUNGE (RFC 9051 §7.5.1) …
	msgs, err := a.Fetch(imap.SeqSetNum(2), &imap.FetchOptions{UID: true}).Collect()
	if err != nil || len(msgs) != 1 || msgs[0].UID != 2 {
		t.Fatalf("FETCH 2 after foreign expunge: %v %+v", err, msgs)
	}
	select {
	case u := <-updates:
		if strings.HasPrefix(u, "EXPUNGE") {
			t.Fatalf("EXPUNGE during FETCH: %s", u)
		}
	default:
	}
	// … NOOP does.
	if err := a.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	expectUpdate(t, updates, "EXPUNGE 1")

	// IDLE: B's append reaches A without A asking.
	idle, err := a.Idle()
	if err != nil {
		t.Fatal(err)
	}
	appendMsg(t, b, "INBOX", simpleMsg)
	expectUpdate(t, updates, "EXISTS 2")
	if err := b.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	expectUpdate(t, updates, `FLAGS 1 \Flagged`)
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatalf("IDLE: %v", err)
	}
}

func flagString(f []imap.Flag) string {
	s := make([]string, len(f))
	for i := range f {
		s[i] = string(f[i])
	}
	return strings.Join(s, " ")
}

// expectUpdate waits for want among the unilateral updates. The timeout
// only bounds a broken run; it is not a latency assertion.
func expectUpdate(t *testing.T, updates chan string, want string) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	var got []string
	for {
		select {
		case u := <-updates:
			if u == want {
				return
			}
			got = append(got, u)
		case <-timeout:
			t.Fatalf("no %q among updates %q", want, got)
		}
	}
}
