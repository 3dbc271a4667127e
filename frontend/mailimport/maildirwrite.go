package mailimport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend/internal/wire"
)

// ExportMessage is one message handed to MaildirWriter.Write.
type ExportMessage struct {
	Folder           string // "/"-separated UTF-8; "" or "INBOX" is the root
	UIDValidity, UID uint32 // make the file name stable across exports
	Flags            []string
	Date             time.Time // internal date: mtime and name timestamp
	Body             io.Reader // raw message (CRLF); written with LF
}

// MaildirWriter writes a Maildir++ tree (see the package documentation).
// It is not safe for concurrent use.
type MaildirWriter struct {
	root     string
	folders  map[string]*writeFolder
	warnings []string
}

// writeFolder is the state of one folder being written.
type writeFolder struct {
	dir      string
	keywords []string          // by letter index, "" free
	existing map[string]string // base name -> file name in cur/
	kwDirty  bool
}

// NewMaildirWriter writes below root, creating it if needed.
func NewMaildirWriter(root string) (*MaildirWriter, error) {
	w := &MaildirWriter{root: root, folders: map[string]*writeFolder{}}
	if _, err := w.folder(""); err != nil {
		return nil, err
	}
	return w, nil
}

// Warnings lists what could not be written exactly (folder names with
// ".", keywords beyond 26).
func (w *MaildirWriter) Warnings() []string { return w.warnings }

func (w *MaildirWriter) warn(format string, a ...any) {
	w.warnings = append(w.warnings, fmt.Sprintf(format, a...))
}

// MaildirPPName is the Maildir++ directory of a folder: "" for the root
// (INBOX), ".A.B" for "A/B" with each part in modified UTF-7.
func MaildirPPName(folder string) (dir string, lossy bool) {
	if folder == "" || strings.EqualFold(folder, "INBOX") {
		return "", false
	}
	parts := strings.Split(folder, "/")
	for i, p := range parts {
		if strings.Contains(p, ".") {
			p, lossy = strings.ReplaceAll(p, ".", "_"), true
		}
		parts[i] = wire.EncodeMailboxName(p, false)
	}
	return "." + strings.Join(parts, "."), lossy
}

// Folder creates a folder (also when it will hold no message).
func (w *MaildirWriter) Folder(name string) error {
	_, err := w.folder(name)
	return err
}

func (w *MaildirWriter) folder(name string) (*writeFolder, error) {
	dirName, lossy := MaildirPPName(name)
	if f, ok := w.folders[dirName]; ok {
		return f, nil
	}
	if lossy {
		w.warn("folder %q written as %q: Maildir++ names cannot contain \".\"", name, dirName)
	}
	dir := filepath.Join(w.root, dirName)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	if dirName != "" {
		// Courier's and Dovecot's marker of a Maildir++ subfolder.
		if err := os.WriteFile(filepath.Join(dir, "maildirfolder"), nil, 0o600); err != nil {
			return nil, err
		}
	}
	kw, err := readKeywords(filepath.Join(dir, "dovecot-keywords"))
	if err != nil {
		return nil, err
	}
	if kw == nil {
		kw = make([]string, 26)
	}
	f := &writeFolder{dir: dir, keywords: kw, existing: map[string]string{}}
	entries, err := os.ReadDir(filepath.Join(dir, "cur"))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		base, _, _ := strings.Cut(e.Name(), ":")
		f.existing[base] = e.Name()
	}
	w.folders[dirName] = f
	return f, nil
}

// letters renders flags as the sorted info letters of a file name.
func (w *MaildirWriter) letters(f *writeFolder, folder string, flags []string) string {
	var out []byte
	for _, fl := range flags {
		found := false
		for c, name := range maildirFlagLetters {
			if strings.EqualFold(name, fl) {
				out, found = append(out, c), true
				break
			}
		}
		if found || strings.HasPrefix(fl, `\`) {
			continue // \Recent and unknown system flags have no letter
		}
		idx := -1
		for i, k := range f.keywords {
			if k == fl {
				idx = i
				break
			}
		}
		if idx < 0 {
			for i, k := range f.keywords {
				if k == "" {
					idx, f.keywords[i], f.kwDirty = i, fl, true
					break
				}
			}
		}
		if idx < 0 {
			w.warn("folder %q: keyword %q dropped: a Maildir folder holds at most 26 keywords", folder, fl)
			continue
		}
		out = append(out, byte('a'+idx))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return string(out)
}

// Write writes one message into cur/ (through tmp/, the Maildir delivery
// protocol), or renames the file an earlier export wrote for it when only
// its flags changed.
func (w *MaildirWriter) Write(m ExportMessage) error {
	f, err := w.folder(m.Folder)
	if err != nil {
		return err
	}
	base := fmt.Sprintf("%d.V%dU%d.postbus", m.Date.Unix(), m.UIDValidity, m.UID)
	name := base + ":2," + w.letters(f, m.Folder, m.Flags)
	if err := f.saveKeywords(); err != nil {
		return err
	}
	cur := filepath.Join(f.dir, "cur")
	if old, ok := f.existing[base]; ok {
		if old != name {
			if err := os.Rename(filepath.Join(cur, old), filepath.Join(cur, name)); err != nil {
				return err
			}
			f.existing[base] = name
		}
		return nil
	}
	tmp := filepath.Join(f.dir, "tmp", base)
	if err := writeLF(tmp, m.Body); err != nil {
		os.Remove(tmp)
		return err
	}
	if !m.Date.IsZero() {
		if err := os.Chtimes(tmp, m.Date, m.Date); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, filepath.Join(cur, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	f.existing[base] = name
	return nil
}

// writeLF writes r to path with LF line endings, synced.
func writeLF(path string, r io.Reader) error {
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	l := newLineReader(r)
	var werr error
	for werr == nil {
		p, err := l.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			werr = err
			break
		}
		if _, werr = out.Write(p.text); werr == nil && p.end {
			_, werr = out.Write([]byte{'\n'})
		}
	}
	if werr == nil {
		werr = out.Sync()
	}
	return errors.Join(werr, out.Close())
}

// Close writes what is left of the keyword files (each is also written as
// soon as a message needs a new keyword, before that message's file).
func (w *MaildirWriter) Close() error {
	var errs []error
	for _, f := range w.folders {
		errs = append(errs, f.saveKeywords())
	}
	return errors.Join(errs...)
}

// saveKeywords writes dovecot-keywords if keywords were added.
func (f *writeFolder) saveKeywords() error {
	if !f.kwDirty {
		return nil
	}
	var b strings.Builder
	for i, k := range f.keywords {
		if k != "" {
			fmt.Fprintf(&b, "%d %s\n", i, k)
		}
	}
	p := filepath.Join(f.dir, "dovecot-keywords")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		return err
	}
	f.kwDirty = false
	return nil
}
