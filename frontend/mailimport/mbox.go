package mailimport

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// MboxVariant says how body lines starting with "From " were quoted.
type MboxVariant int

const (
	// MboxRD unquotes one ">" of every ">…>From " line (mboxrd).
	MboxRD MboxVariant = iota
	// MboxO unquotes only ">From " (mboxo: ">>From " was never quoted).
	MboxO
)

// mbox is a Source over one mbox file: a line state machine that ends a
// message at a separator, holding back empty lines until it knows whether
// the next line is one (the empty line before "From " belongs to the
// separator, not to the message).
type mbox struct {
	name    string
	f       io.Closer
	l       *lineReader
	variant MboxVariant
	folder  string

	started  bool
	nextFrom []byte // the From_ line of the next message, nil at EOF
	nextLine int    // its line number
	eom      bool   // the current message has been read to its end
	blanks   int    // held-back empty lines
	emit     int    // held-back empty lines being released
	pending  *piece // a piece to return after the released empty lines
}

// OpenMbox opens an mbox file; its messages go into folder ("" for INBOX).
func OpenMbox(path, folder string, variant MboxVariant) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &mbox{name: path, f: f, l: newLineReader(f), variant: variant, folder: folder, eom: true}, nil
}

// NewMboxReader reads an mbox from r; name is used in reports.
func NewMboxReader(r io.Reader, name, folder string, variant MboxVariant) Source {
	return &mbox{name: name, f: io.NopCloser(nil), l: newLineReader(r), variant: variant, folder: folder, eom: true}
}

func (m *mbox) Close() error { return m.f.Close() }

// start finds the first From_ line (after optional empty lines).
func (m *mbox) start() error {
	m.started = true
	for {
		p, err := m.l.next()
		if err == io.EOF {
			return io.EOF // an empty file: no messages
		}
		if err != nil {
			return err
		}
		if p.start && p.end && len(p.text) == 0 {
			continue
		}
		if !p.start || !bytes.HasPrefix(p.text, []byte("From ")) {
			return fmt.Errorf("%w: %s does not start with a \"From \" line", ErrFormat, m.name)
		}
		m.nextFrom, m.nextLine = append([]byte(nil), p.text...), m.l.line
		return m.skipRestOfLine(p)
	}
}

// skipRestOfLine reads the pieces of a long line after p.
func (m *mbox) skipRestOfLine(p piece) error {
	for !p.end {
		var err error
		if p, err = m.l.next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
	return nil
}

// piece returns the next piece of the current message, io.EOF at its end.
func (m *mbox) piece() (piece, error) {
	for {
		if m.emit > 0 {
			m.emit--
			return piece{start: true, end: true}, nil
		}
		if m.pending != nil {
			p := *m.pending
			m.pending = nil
			return p, nil
		}
		if m.eom {
			return piece{}, io.EOF
		}
		p, err := m.l.next()
		if err == io.EOF {
			m.eom = true
			m.emit, m.blanks = max(m.blanks-1, 0), 0 // the last empty line is the mbox's
			continue
		}
		if err != nil {
			return piece{}, err
		}
		if p.start && p.end && len(p.text) == 0 {
			m.blanks++
			continue
		}
		if p.start && m.blanks > 0 && bytes.HasPrefix(p.text, []byte("From ")) {
			m.nextFrom, m.nextLine = append([]byte(nil), p.text...), m.l.line
			if err := m.skipRestOfLine(p); err != nil {
				return piece{}, err
			}
			m.eom = true
			m.emit, m.blanks = m.blanks-1, 0
			continue
		}
		if p.start {
			p.text = m.unquote(p.text)
		}
		m.emit, m.blanks = m.blanks, 0
		m.pending = &p
	}
}

// unquote removes one ">" from a quoted From line (see MboxVariant).
func (m *mbox) unquote(line []byte) []byte {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	if i == 0 || !bytes.HasPrefix(line[i:], []byte("From ")) {
		return line
	}
	if m.variant == MboxO && i != 1 {
		return line
	}
	return line[1:]
}

func (m *mbox) Next() (*Message, error) {
	if !m.started {
		if err := m.start(); err != nil {
			return nil, err
		}
	}
	// Skip what the caller left unread of the previous message.
	for {
		if _, err := m.piece(); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
	}
	if m.nextFrom == nil {
		return nil, io.EOF
	}
	from, line := m.nextFrom, m.nextLine
	m.nextFrom, m.eom = nil, false
	name := fmt.Sprintf("%s:%d", m.name, line)
	fields, broken, err := readHeader(m.piece)
	if err != nil {
		return nil, err
	}
	if broken != "" {
		return nil, &BrokenError{Name: name, Reason: broken}
	}
	flags, fields := mboxFlags(fields)
	return &Message{
		Folder: m.folder,
		Name:   name,
		Flags:  flags,
		Date:   fromLineDate(string(from)),
		Body:   io.MultiReader(bytes.NewReader(writeHeader(fields)), &mboxBody{m: m}),
	}, nil
}

// mboxBody reads the rest of the current message with CRLF line endings.
type mboxBody struct {
	m   *mbox
	out []byte
	err error
}

func (b *mboxBody) Read(p []byte) (int, error) {
	for len(b.out) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		pc, err := b.m.piece()
		if err != nil {
			b.err = err
			continue
		}
		b.out = append(b.out[:0], pc.text...)
		if pc.end {
			b.out = append(b.out, '\r', '\n')
		}
	}
	n := copy(p, b.out)
	b.out = b.out[n:]
	return n, nil
}

// fromLineLayouts are the date forms seen after the address of a From_
// line: asctime, with a numeric zone or a zone name, without seconds, and
// the RFC 5322 form some tools write.
var fromLineLayouts = []string{
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 2006 -0700",
	"Mon Jan 2 15:04:05 -0700 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon Jan 2 15:04:05 MST -0700 2006",
	"Mon Jan 2 15:04 2006",
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
}

// fromLineDate parses the date of "From addr date"; zero if none parses.
// The address may contain spaces, so every suffix of words is tried.
func fromLineDate(line string) time.Time {
	words := strings.Fields(strings.TrimPrefix(line, "From "))
	for i := 1; i < len(words); i++ {
		s := strings.Join(words[i:], " ")
		for _, layout := range fromLineLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}
