package corpus

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"os"
	"time"
)

// Mbox is a corpus read from an mbox file (mboxrd or mboxo: messages
// separated by lines starting "From "; ">From " quoting is undone one
// level). The file is indexed once by Open and read at random afterwards;
// messages are converted to CRLF line endings. Every user gets the same
// messages.
type Mbox struct {
	f     *os.File
	spans []span
}

type span struct {
	off, len int64
	date     time.Time // from the "From " line, or zero
}

// OpenMbox indexes the mbox at path. Close releases the file.
func OpenMbox(path string) (*Mbox, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorpus, err)
	}
	m := &Mbox{f: f}
	if err := m.index(); err != nil {
		f.Close()
		return nil, err
	}
	if len(m.spans) == 0 {
		f.Close()
		return nil, fmt.Errorf("%w: %s: no messages (want lines starting \"From \")", ErrCorpus, path)
	}
	return m, nil
}

func (m *Mbox) index() error {
	br := bufio.NewReaderSize(m.f, 1<<16)
	var off int64
	cur := -1
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A very long line: not a separator; consume it whole.
			n := int64(len(line))
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				n += int64(len(line))
			}
			off += n
			if cur >= 0 {
				m.spans[cur].len = off - m.spans[cur].off
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%w: %w", ErrCorpus, err)
			}
			continue
		}
		if len(line) > 0 {
			if bytes.HasPrefix(line, []byte("From ")) {
				m.spans = append(m.spans, span{off: off + int64(len(line)), date: fromLineDate(line)})
				cur = len(m.spans) - 1
			} else if cur >= 0 {
				m.spans[cur].len = off + int64(len(line)) - m.spans[cur].off
			}
			off += int64(len(line))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCorpus, err)
		}
	}
}

// fromLineDate parses the asctime date of "From sender Mon Jan  2 15:04:05 2006".
func fromLineDate(line []byte) time.Time {
	f := bytes.Fields(line)
	if len(f) < 7 {
		return time.Time{}
	}
	s := string(bytes.Join(f[len(f)-5:], []byte(" ")))
	t, err := time.Parse("Mon Jan 2 15:04:05 2006", s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Len is the number of messages in the file.
func (m *Mbox) Len() int { return len(m.spans) }

// Message returns message i; u is ignored.
func (m *Mbox) Message(u, i int) (Message, error) {
	if i < 0 || i >= len(m.spans) {
		return Message{}, fmt.Errorf("%w: message %d out of range [0,%d)", ErrCorpus, i, len(m.spans))
	}
	sp := m.spans[i]
	buf := make([]byte, sp.len)
	if _, err := m.f.ReadAt(buf, sp.off); err != nil {
		return Message{}, fmt.Errorf("%w: message %d: %w", ErrCorpus, i, err)
	}
	// The blank line before the next "From " separates; it is not content.
	if bytes.HasSuffix(buf, []byte("\n\n")) {
		buf = buf[:len(buf)-1]
	} else if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
		buf = buf[:len(buf)-2]
	}
	raw := toCRLF(unquoteFrom(buf))
	date := sp.date
	if d, ok := headerDate(raw); ok {
		date = d
	}
	return Message{Raw: raw, Date: date}, nil
}

// Close closes the file.
func (m *Mbox) Close() error { return m.f.Close() }

// unquoteFrom removes one ">" from lines matching ^>+From (mboxrd).
func unquoteFrom(b []byte) []byte {
	if !bytes.Contains(b, []byte(">From ")) {
		return b
	}
	var out bytes.Buffer
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line = b[:i+1]
		}
		b = b[len(line):]
		trimmed := bytes.TrimLeft(line, ">")
		if len(trimmed) < len(line) && bytes.HasPrefix(trimmed, []byte("From ")) {
			line = line[1:]
		}
		out.Write(line)
	}
	return out.Bytes()
}

// toCRLF turns bare LF into CRLF, leaving existing CRLF alone.
func toCRLF(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/40)
	for i := 0; i < len(b); i++ {
		if b[i] == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, b[i])
	}
	return out
}

// headerDate parses the Date header, if any.
func headerDate(raw []byte) (time.Time, bool) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return time.Time{}, false
	}
	d, err := msg.Header.Date()
	return d, err == nil
}
