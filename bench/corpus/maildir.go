package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Maildir is a corpus read from a Maildir (its cur/ and new/ files, in
// name order, which for delivery-named files is arrival order). Flags come
// from the ":2,FLAGS" suffix of cur/ names; the date from the Date header,
// else the file's modification time. Every user gets the same messages.
type Maildir struct {
	files []string
}

// maildirFlags maps Maildir info letters to IMAP flags.
var maildirFlags = map[rune]string{
	'S': `\Seen`, 'F': `\Flagged`, 'R': `\Answered`, 'D': `\Draft`, 'T': `\Deleted`,
}

// OpenMaildir lists the Maildir at dir.
func OpenMaildir(dir string) (*Maildir, error) {
	var files []string
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, fmt.Errorf("%w: %s is not a Maildir: %w", ErrCorpus, dir, err)
		}
		for _, e := range ents {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				files = append(files, filepath.Join(dir, sub, e.Name()))
			}
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: %s: Maildir holds no messages", ErrCorpus, dir)
	}
	sort.Slice(files, func(i, j int) bool { return filepath.Base(files[i]) < filepath.Base(files[j]) })
	return &Maildir{files: files}, nil
}

// Len is the number of messages.
func (m *Maildir) Len() int { return len(m.files) }

// Message returns message i; u is ignored.
func (m *Maildir) Message(u, i int) (Message, error) {
	if i < 0 || i >= len(m.files) {
		return Message{}, fmt.Errorf("%w: message %d out of range [0,%d)", ErrCorpus, i, len(m.files))
	}
	path := m.files[i]
	b, err := os.ReadFile(path)
	if err != nil {
		return Message{}, fmt.Errorf("%w: %w", ErrCorpus, err)
	}
	msg := Message{Raw: toCRLF(b)}
	if d, ok := headerDate(msg.Raw); ok {
		msg.Date = d
	} else if st, err := os.Stat(path); err == nil {
		msg.Date = st.ModTime()
	}
	if _, info, ok := strings.Cut(filepath.Base(path), ":2,"); ok {
		for _, c := range info {
			if f, ok := maildirFlags[c]; ok {
				msg.Flags = append(msg.Flags, f)
			}
		}
	}
	return msg, nil
}

// Open picks a reader for path: a directory is a Maildir, a file an mbox.
func Open(path string) (Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorpus, err)
	}
	if st.IsDir() {
		return OpenMaildir(path)
	}
	return OpenMbox(path)
}
