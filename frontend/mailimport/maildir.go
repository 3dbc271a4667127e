package mailimport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/postbus/postbus/frontend/internal/wire"
)

// maildirFlagLetters maps the info letters of a Maildir file name to
// flags (https://cr.yp.to/proto/maildir.html; P is Dovecot's $Forwarded).
var maildirFlagLetters = map[byte]string{
	'D': `\Draft`, 'F': `\Flagged`, 'P': "$Forwarded", 'R': `\Answered`, 'S': `\Seen`, 'T': `\Deleted`,
}

// maildirFolder is one folder of a Maildir++ tree.
type maildirFolder struct {
	name string // "/"-separated UTF-8; "" is the root
	dir  string
}

// maildirFile is one message file.
type maildirFile struct {
	folder *maildirFolder
	path   string
	base   string // file name
	inCur  bool
}

// maildir is a Source over a Maildir++ tree.
type maildir struct {
	root     string
	folders  []maildirFolder
	fi       int // next folder
	files    []maildirFile
	keywords []string // of the current folder, by letter index
	open     *os.File
}

// OpenMaildir opens a Maildir (root with cur/ and new/) or Maildir++ tree
// (also ".Folder.Sub" directories). Folders are read in name order, files
// in name order (names start with the delivery time).
func OpenMaildir(root string) (Source, error) {
	if !isMaildir(root) {
		return nil, fmt.Errorf("%w: %s has no cur/ or new/ directory", ErrFormat, root)
	}
	m := &maildir{root: root, folders: []maildirFolder{{name: "", dir: root}}}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, ".") || n == "." || n == ".." || !isDirLike(filepath.Join(root, n)) {
			continue
		}
		if !isMaildir(filepath.Join(root, n)) {
			continue
		}
		m.folders = append(m.folders, maildirFolder{name: FolderFromMaildirPP(n), dir: filepath.Join(root, n)})
	}
	sort.Slice(m.folders, func(i, j int) bool { return m.folders[i].name < m.folders[j].name })
	return m, nil
}

func isDirLike(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func isMaildir(dir string) bool {
	return isDirLike(filepath.Join(dir, "cur")) || isDirLike(filepath.Join(dir, "new"))
}

// FolderFromMaildirPP turns a Maildir++ directory name (".A.B", modified
// UTF-7) into a folder name ("A/B"). A name that is not valid modified
// UTF-7 is taken as UTF-8 (Dovecot's UTF-8 option) when it is that.
func FolderFromMaildirPP(dir string) string {
	parts := strings.Split(strings.TrimPrefix(dir, "."), ".")
	for i, p := range parts {
		if d, err := wire.DecodeMailboxName(p, false); err == nil {
			parts[i] = d
		} else if !utf8.ValidString(p) {
			parts[i] = strings.ToValidUTF8(p, "_")
		}
	}
	return strings.Join(parts, "/")
}

func (m *maildir) Close() error {
	if m.open != nil {
		m.open.Close()
		m.open = nil
	}
	return nil
}

// loadFolder lists the files of the next folder; false when none is left.
func (m *maildir) loadFolder() (bool, error) {
	if m.fi >= len(m.folders) {
		return false, nil
	}
	f := &m.folders[m.fi]
	m.fi++
	m.files = m.files[:0]
	for _, sub := range []string{"cur", "new"} {
		entries, err := os.ReadDir(filepath.Join(f.dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, err
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
				continue
			}
			m.files = append(m.files, maildirFile{folder: f, path: filepath.Join(f.dir, sub, e.Name()), base: e.Name(), inCur: sub == "cur"})
		}
	}
	sort.Slice(m.files, func(i, j int) bool { return m.files[i].base < m.files[j].base })
	kw, err := readKeywords(filepath.Join(f.dir, "dovecot-keywords"))
	if err != nil {
		return false, err
	}
	m.keywords = kw
	return true, nil
}

// readKeywords reads a dovecot-keywords file ("0 $Label1" per line);
// a missing file has no keywords.
func readKeywords(path string) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	kw := make([]string, 26)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		idx, name, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 0 || n >= 26 || !validKeyword(name) {
			continue
		}
		kw[n] = name
	}
	return kw, sc.Err()
}

// infoFlags returns the flags of a file name's ":2," info (also "!2,"
// and ";2,", used where ":" is not allowed in file names).
func infoFlags(base string, keywords []string) []string {
	var info string
	for _, sep := range []string{":2,", "!2,", ";2,"} {
		if i := strings.LastIndex(base, sep); i >= 0 {
			info = base[i+len(sep):]
			break
		}
	}
	var flags []string
	for i := 0; i < len(info); i++ {
		c := info[i]
		if f, ok := maildirFlagLetters[c]; ok {
			flags = append(flags, f)
		} else if c >= 'a' && c <= 'z' && int(c-'a') < len(keywords) && keywords[c-'a'] != "" {
			flags = append(flags, keywords[c-'a'])
		}
	}
	return flags
}

// nameTime is the delivery time that starts a Maildir file name
// ("1700000000.M1P2.host"), zero if there is none.
func nameTime(base string) time.Time {
	end := strings.IndexAny(base, ".:!;")
	if end <= 0 {
		return time.Time{}
	}
	secs, err := strconv.ParseInt(base[:end], 10, 64)
	if err != nil || secs <= 0 {
		return time.Time{}
	}
	return time.Unix(secs, 0)
}

func (m *maildir) Next() (*Message, error) {
	if m.open != nil {
		m.open.Close()
		m.open = nil
	}
	for len(m.files) == 0 {
		ok, err := m.loadFolder()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, io.EOF
		}
	}
	mf := m.files[0]
	m.files = m.files[1:]
	name, _ := filepath.Rel(m.root, mf.path)
	f, err := os.Open(mf.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Moved by a running MDA or MUA (new/ to cur/, flags
			// changed): the next run picks it up under its new name.
			return nil, &BrokenError{Name: name, Reason: "vanished while importing"}
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	date := st.ModTime()
	if nt := nameTime(mf.base); !nt.IsZero() && nt.Before(date) {
		date = nt
	}
	l := newLineReader(f)
	fields, broken, err := readHeader(l.next)
	if err != nil {
		f.Close()
		return nil, err
	}
	if broken != "" {
		f.Close()
		return nil, &BrokenError{Name: name, Reason: broken}
	}
	m.open = f
	var flags []string
	if mf.inCur {
		flags = infoFlags(mf.base, m.keywords)
	}
	return &Message{
		Folder: mf.folder.name,
		Name:   name,
		Flags:  flags,
		Date:   date,
		Body:   io.MultiReader(strings.NewReader(string(writeHeader(fields))), newCRLF(l)),
	}, nil
}
