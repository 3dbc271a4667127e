package mailimport_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/frontend/deliver/delivertest"
	"github.com/postbus/postbus/frontend/mailimport"
	"github.com/postbus/postbus/proto/metadatapb"
)

const testMbox = `From a@example.org Tue Mar 17 12:34:56 2009
Subject: one
Status: RO
X-Status: F

>From here
body one

From b@example.org Wed Mar 18 12:34:56 2009
Subject: two
X-Keywords: Work

body two

From broken Thu Mar 19 12:34:56 2009
no header here

From c@example.org
Subject: three
Date: Sat, 21 Mar 2009 10:00:00 +0100

body three
`

func TestImportMboxIdempotent(t *testing.T) {
	ctx := context.Background()
	e := delivertest.New(t)
	e.AddUser(t, "bob")
	path := filepath.Join(t.TempDir(), "mail.mbox")
	if err := os.WriteFile(path, []byte(testMbox), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() mailimport.Stats {
		src, err := mailimport.OpenMbox(path, "", mailimport.MboxRD)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		im := &mailimport.Importer{Deliverer: e.Deliverer, User: "bob", Mailbox: "Old/Mail"}
		st, err := im.Import(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := run()
	if st.Read != 4 || st.Imported != 3 || st.Duplicates != 0 || st.Broken != 1 || !strings.Contains(st.BrokenList[0], "mail.mbox:15") {
		t.Errorf("first run: %+v", st)
	}
	st = run()
	if st.Read != 4 || st.Imported != 0 || st.Duplicates != 3 || st.Broken != 1 {
		t.Errorf("second run: %+v", st)
	}
	recs := e.Messages(t, "bob", "Old/Mail")
	if len(recs) != 3 {
		t.Fatalf("%d messages in Old/Mail", len(recs))
	}
	if f := recs[0].State.Flags; !sameSet(f, []string{`\Seen`, `\Flagged`}) {
		t.Errorf("flags of one: %q", f)
	}
	if f := recs[1].State.Flags; !sameSet(f, []string{"Work"}) {
		t.Errorf("flags of two: %q", f)
	}
	if d := time.Unix(recs[0].Meta.InternalDate, 0).UTC(); !d.Equal(time.Date(2009, 3, 17, 12, 34, 56, 0, time.UTC)) {
		t.Errorf("internal date %v", d)
	}
	if recs[2].Meta.InternalDate != time.Date(2009, 3, 21, 9, 0, 0, 0, time.UTC).Unix() || recs[2].Meta.InternalDateZone != 3600 {
		t.Errorf("internal date from the Date: header: %d %d", recs[2].Meta.InternalDate, recs[2].Meta.InternalDateZone)
	}
	if recs[0].Meta.Subject != "one" || recs[2].Meta.Subject != "three" {
		t.Errorf("subjects %q %q", recs[0].Meta.Subject, recs[2].Meta.Subject)
	}
	if n := e.BlobFiles(t); n != 3 {
		t.Errorf("%d blob files", n)
	}
}

func sameSet(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	return strings.Join(a, " ") == strings.Join(b, " ")
}

// buildMaildir writes a Maildir++ tree with nested folders, flags and
// keywords.
func buildMaildir(t *testing.T) string {
	root := t.TempDir()
	files := map[string]string{
		"cur/1600000000.M1P1.h:2,S":                      "Subject: i1\n\nin inbox\n",
		"new/1600000001.M2P1.h":                          "Subject: i2\n\nnew mail\n",
		"cur/1600000002.M3P1.h:2,":                       "garbage without header\n",
		".Work/cur/1600000003.M4P1.h:2,FRa":              "Subject: w1\n\nwork\n",
		".Work/dovecot-keywords":                         "0 $Label1\n",
		".Work.Projects.2024/cur/1600000004.M5P1.h:2,DT": "Subject: p1\n\nproject\n",
		".Sent/cur/1600000005.M6P1.h:2,S":                "Subject: s1\n\nsent\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"", ".Work", ".Work.Projects.2024", ".Sent"} {
		for _, s := range []string{"cur", "new", "tmp"} {
			os.MkdirAll(filepath.Join(root, d, s), 0o700)
		}
	}
	return root
}

func importMaildir(t *testing.T, e *delivertest.Env, root, mailbox string) mailimport.Stats {
	t.Helper()
	src, err := mailimport.OpenMaildir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var calls int
	im := &mailimport.Importer{Deliverer: e.Deliverer, User: "bob", Mailbox: mailbox, Progress: func(mailimport.Stats) { calls++ }}
	st, err := im.Import(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if calls != st.Read {
		t.Errorf("progress called %d times for %d messages", calls, st.Read)
	}
	return st
}

func TestImportMaildirAndExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := delivertest.New(t)
	e.AddUser(t, "bob")
	root := buildMaildir(t)

	st := importMaildir(t, e, root, "")
	if st.Imported != 5 || st.Broken != 1 || st.Duplicates != 0 {
		t.Errorf("first import: %+v", st)
	}
	st = importMaildir(t, e, root, "")
	if st.Imported != 0 || st.Duplicates != 5 || st.Broken != 1 {
		t.Errorf("second import: %+v", st)
	}
	for _, c := range []struct {
		mailbox string
		flags   []string
	}{
		{"INBOX", []string{`\Seen`}}, {"Work", []string{`\Flagged`, `\Answered`, "$Label1"}},
		{"Work/Projects/2024", []string{`\Draft`, `\Deleted`}}, {"Sent", []string{`\Seen`}},
	} {
		recs := e.Messages(t, "bob", c.mailbox)
		if len(recs) == 0 || !sameSet(recs[0].State.Flags, c.flags) {
			t.Errorf("%s: %d messages, first flags %q", c.mailbox, len(recs), firstFlags(recs))
		}
	}

	list, err := e.Client.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	subscribed := map[string]bool{}
	for _, mb := range list.Mailboxes {
		subscribed[mb.Name] = mb.Subscribed
	}
	if !subscribed["Work"] || !subscribed["Work/Projects/2024"] || subscribed["Work/Projects"] {
		t.Errorf("subscriptions after import: %v (created folders subscribed, parents made on the way not)", subscribed)
	}

	// Export, then compare with the source tree: same folders, flags and
	// bodies (the broken file was never imported).
	out := filepath.Join(t.TempDir(), "export")
	w, err := mailimport.NewMaildirWriter(out)
	if err != nil {
		t.Fatal(err)
	}
	ex := &mailimport.Exporter{Metadata: e.Client, Blobs: e.Blobs, User: "bob"}
	est, err := ex.Export(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if est.Messages != 5 || est.Mailboxes < 8 { // 6 default mailboxes + Work, Work/Projects, Work/Projects/2024
		t.Errorf("export: %+v", est)
	}
	want := readTree(t, root)
	got := readTree(t, out)
	delete(want, "|garbage without header\n")
	if len(got) != len(want) {
		t.Errorf("exported %d messages, source has %d:\n%v\n%v", len(got), len(want), got, want)
	}
	for k, flags := range want {
		if g, ok := got[k]; !ok || !sameSet(g, flags) {
			t.Errorf("message %q: exported flags %q, source %q (present %v)", k, g, flags, ok)
		}
	}
	if _, err := os.Stat(filepath.Join(out, ".Work.Projects.2024", "cur")); err != nil {
		t.Errorf("nested folder not exported: %v", err)
	}

	// A body missing from the blob store is reported, not fatal.
	recs := e.Messages(t, "bob", "Sent")
	if err := e.Blobs.Delete(ctx, recs[0].Meta.BlobId); err != nil {
		t.Fatal(err)
	}
	w2, err := mailimport.NewMaildirWriter(filepath.Join(t.TempDir(), "export2"))
	if err != nil {
		t.Fatal(err)
	}
	est, err = ex.Export(ctx, w2)
	if err != nil || est.Messages != 4 || len(est.Missing) != 1 || est.Missing[0] != "Sent UID 1" {
		t.Errorf("export with a missing body: %+v %v", est, err)
	}

	// Importing the export into another user gives the same messages.
	e.AddUser(t, "carol")
	src, err := mailimport.OpenMaildir(out)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	st2, err := (&mailimport.Importer{Deliverer: e.Deliverer, User: "carol"}).Import(ctx, src)
	if err != nil || st2.Imported != 5 || st2.Broken != 0 {
		t.Errorf("re-import of the export: %+v %v", st2, err)
	}
	if n := e.BlobFiles(t); n != 5 {
		t.Errorf("%d blob files after importing the same bodies for two users (one re-created)", n)
	}
}

func firstFlags(recs []*metadatapb.MessageRecord) []string {
	if len(recs) == 0 {
		return nil
	}
	return recs[0].State.Flags
}

// readTree reads a Maildir tree into "folder|body" -> flags (bodies with
// LF line endings).
func readTree(t *testing.T, root string) map[string][]string {
	t.Helper()
	src, err := mailimport.OpenMaildir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := map[string][]string{}
	for {
		m, err := src.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			continue // broken
		}
		b, _ := io.ReadAll(m.Body)
		out[m.Folder+"|"+strings.ReplaceAll(string(b), "\r\n", "\n")] = m.Flags
	}
}
