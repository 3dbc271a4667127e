package mailimport

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFile writes a file of a test tree with an mtime.
func writeFile(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func mkMaildir(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		for _, s := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(d, s), 0o700); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// testTree builds a Dovecot-style Maildir++ tree and returns its root.
func testTree(t *testing.T) string {
	root := t.TempDir()
	t1 := time.Unix(1_600_000_000, 0)
	t2 := time.Unix(1_600_000_500, 0)
	mkMaildir(t, root, filepath.Join(root, ".Work"), filepath.Join(root, ".Work.Projects"), filepath.Join(root, ".Caf&AOk-"))
	writeFile(t, filepath.Join(root, "cur", "1600000000.M1P1.host,S=30:2,FRS"), "Subject: inbox 1\n\nhello\n", t1)
	// mtime later than the name's timestamp (copied without -p): the name wins.
	writeFile(t, filepath.Join(root, "new", "1600000100.M2P1.host"), "Subject: inbox 2\n\nnew\n", t2)
	writeFile(t, filepath.Join(root, "cur", "1600000200.M3P1.host:2,"), "", t1) // broken: empty
	writeFile(t, filepath.Join(root, "cur", "1600000300.M4P1.host:2,S"), "\x00\x01binary\nstuff\n", t1)
	writeFile(t, filepath.Join(root, ".Work", "dovecot-keywords"), "0 $Label1\n1 Important\nbogus line\n", time.Time{})
	writeFile(t, filepath.Join(root, ".Work", "cur", "1500000000.M5P1.host:2,DTab"), "Subject: work\r\n\r\ncrlf body\r\n", time.Unix(1_400_000_000, 0))
	writeFile(t, filepath.Join(root, ".Work.Projects", "cur", "1600000000.M6P1.host:2,P"), "Subject: nested\n\nx", t1)
	writeFile(t, filepath.Join(root, ".Work.Projects", "cur", ".hidden"), "Subject: no\n\n", t1)
	writeFile(t, filepath.Join(root, ".Caf&AOk-", "new", "1600000000.M7P1.host"), "Subject: cafe\n\n", t1)
	writeFile(t, filepath.Join(root, ".NotAMaildir", "junk"), "x", t1)
	return root
}

func TestMaildirRead(t *testing.T) {
	root := testTree(t)
	src, err := OpenMaildir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	msgs, broken := readAll(t, src)
	type got struct {
		folder string
		flags  []string
		date   int64
		body   string
	}
	var gots []got
	for _, m := range msgs {
		gots = append(gots, got{m.folder, m.flags, m.date.Unix(), m.body})
	}
	want := []got{
		{"", []string{`\Flagged`, `\Answered`, `\Seen`}, 1_600_000_000, "Subject: inbox 1\r\n\r\nhello\r\n"},
		{"", nil, 1_600_000_100, "Subject: inbox 2\r\n\r\nnew\r\n"},
		{"Café", nil, 1_600_000_000, "Subject: cafe\r\n\r\n"},
		{"Work", []string{`\Draft`, `\Deleted`, "$Label1", "Important"}, 1_400_000_000, "Subject: work\r\n\r\ncrlf body\r\n"},
		{"Work/Projects", []string{"$Forwarded"}, 1_600_000_000, "Subject: nested\r\n\r\nx\r\n"},
	}
	if !reflect.DeepEqual(gots, want) {
		t.Errorf("messages:\n%+v\nwant\n%+v", gots, want)
	}
	if len(broken) != 2 || !strings.Contains(broken[0], "M3P1") || !strings.Contains(broken[0], "empty") || !strings.Contains(broken[1], "M4P1") {
		t.Errorf("broken: %q", broken)
	}
}

func TestMaildirNotAMaildir(t *testing.T) {
	if _, err := OpenMaildir(t.TempDir()); !errors.Is(err, ErrFormat) {
		t.Errorf("empty dir: %v", err)
	}
}

func TestInfoFlagsAndNames(t *testing.T) {
	kw := make([]string, 26)
	kw[2] = "Later"
	for _, tc := range []struct {
		base string
		want []string
	}{
		{"1.M.h:2,", nil},
		{"1.M.h:2,S", []string{`\Seen`}},
		{"1.M.h!2,RS", []string{`\Answered`, `\Seen`}},
		{"1.M.h;2,c", []string{"Later"}},
		{"1.M.h:2,az", nil}, // unknown keyword letters
		{"1.M.h", nil},
	} {
		if got := infoFlags(tc.base, kw); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.base, got, tc.want)
		}
	}
	if got := nameTime("1600000000.M1.h:2,S"); got.Unix() != 1_600_000_000 {
		t.Errorf("nameTime: %v", got)
	}
	if got := nameTime("msg.1"); !got.IsZero() {
		t.Errorf("nameTime of a name without timestamp: %v", got)
	}
	for dir, want := range map[string]string{".A": "A", ".A.B": "A/B", ".Caf&AOk-": "Café", ".&Jjo-.x": "☺/x", ".bad&": "bad&"} {
		if got := FolderFromMaildirPP(dir); got != want {
			t.Errorf("FolderFromMaildirPP(%q) = %q, want %q", dir, got, want)
		}
	}
	for folder, want := range map[string]string{"": "", "INBOX": "", "inbox": "", "A/B": ".A.B", "Café": ".Caf&AOk-", "a.b/c": ".a_b.c"} {
		if got, _ := MaildirPPName(folder); got != want {
			t.Errorf("MaildirPPName(%q) = %q, want %q", folder, got, want)
		}
	}
}

// TestMaildirWriteRead writes messages and reads them back: same folders,
// flags, keywords, dates and (LF-normalised) bodies; a second write with
// changed flags renames instead of duplicating.
func TestMaildirWriteRead(t *testing.T) {
	root := filepath.Join(t.TempDir(), "out")
	w, err := NewMaildirWriter(root)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Unix(1_500_000_000, 0)
	msgs := []ExportMessage{
		{Folder: "INBOX", UIDValidity: 9, UID: 1, Flags: []string{`\Seen`, `\Recent`, "$Label1"}, Date: d, Body: strings.NewReader("Subject: a\r\n\r\nbody a\r\n")},
		{Folder: "Lists/Go", UIDValidity: 10, UID: 4, Flags: []string{`\Flagged`, `\Answered`, `\Draft`, `\Deleted`, "$Forwarded"}, Date: d.Add(time.Hour), Body: strings.NewReader("Subject: b\r\n\r\nbody b\r\n")},
		{Folder: "Café", UIDValidity: 11, UID: 2, Date: d, Body: strings.NewReader("Subject: c\r\n\r\n")},
	}
	for _, m := range msgs {
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Folder("Empty"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".Lists.Go", "maildirfolder")); err != nil {
		t.Errorf("maildirfolder marker: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, ".Empty", "cur")); err != nil {
		t.Errorf("empty folder: %v", err)
	}
	src, err := OpenMaildir(root)
	if err != nil {
		t.Fatal(err)
	}
	got, broken := readAll(t, src)
	src.Close()
	if len(broken) != 0 || len(got) != 3 {
		t.Fatalf("read back %d messages, broken %q", len(got), broken)
	}
	byFolder := map[string]readMsg{}
	for _, m := range got {
		byFolder[m.folder] = m
	}
	check := func(folder string, flags []string, date time.Time, body string) {
		t.Helper()
		m := byFolder[folder]
		if !sameSet(m.flags, flags) || !m.date.Equal(date) || m.body != body {
			t.Errorf("%s: %q %v %q", folder, m.flags, m.date, m.body)
		}
	}
	check("", []string{`\Seen`, "$Label1"}, d, "Subject: a\r\n\r\nbody a\r\n")
	check("Lists/Go", []string{`\Flagged`, `\Answered`, `\Draft`, `\Deleted`, "$Forwarded"}, d.Add(time.Hour), "Subject: b\r\n\r\nbody b\r\n")
	check("Café", nil, d, "Subject: c\r\n\r\n")
	raw, _ := os.ReadFile(filepath.Join(root, "cur", "1500000000.V9U1.postbus:2,Sa"))
	if string(raw) != "Subject: a\n\nbody a\n" {
		t.Errorf("file on disk %q (want LF endings, name with sorted flags)", raw)
	}

	// Export again with other flags: the file is renamed, not duplicated.
	w2, err := NewMaildirWriter(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Write(ExportMessage{Folder: "INBOX", UIDValidity: 9, UID: 1, Flags: []string{`\Answered`}, Date: d, Body: strings.NewReader("ignored")}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "cur"))
	if len(entries) != 1 || entries[0].Name() != "1500000000.V9U1.postbus:2,R" {
		t.Errorf("after re-export: %v", entries)
	}
}

func TestMaildirWriterKeywordLimit(t *testing.T) {
	w, err := NewMaildirWriter(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var kws []string
	for i := 0; i < 27; i++ {
		kws = append(kws, "kw"+string(rune('A'+i)))
	}
	if err := w.Write(ExportMessage{UID: 1, Flags: kws, Date: time.Unix(1, 0), Body: strings.NewReader("S: x\r\n\r\n")}); err != nil {
		t.Fatal(err)
	}
	if len(w.Warnings()) != 1 || !strings.Contains(w.Warnings()[0], "kw[") {
		t.Errorf("warnings %q", w.Warnings())
	}
	if _, err := w.folder("a.b"); err != nil || len(w.Warnings()) != 2 {
		t.Errorf("dot folder: %v %q", err, w.Warnings())
	}
}
