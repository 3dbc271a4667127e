package message

import (
	"bufio"
	"errors"
	"io"
)

// scanner reads a message line by line, tracking the offset and the number
// of LFs consumed so the walker can compute exact part boundaries and line
// counts. A line is everything up to and including '\n' (or up to EOF).
type scanner struct {
	br   *bufio.Reader
	pos  int64 // offset of the next unread byte
	lfs  int64 // LFs consumed so far
	size int64

	// The current line.
	start     int64  // offset of its first byte
	length    int64  // its full length, terminator included
	text      []byte // its first bytes (all of them unless truncated)
	truncated bool   // text holds only a prefix of the line
	brk       int    // length of its terminator: 2 CRLF, 1 LF, 0 none (EOF)
	prevBrk   int    // terminator length of the line before it
	lastCR    bool   // the previous chunk of a long line ended in CR
	again     bool   // next returns the current line again (unread)
}

func newScanner(r io.ReaderAt, size int64) *scanner {
	// The buffer need not exceed the message; a long line only costs extra
	// ReadSlice calls.
	buf := int(min(max(size, 4096), 64*1024))
	return &scanner{br: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), buf), size: size}
}

// next reads the next line, keeping at most keep bytes of it in s.text. It
// returns false at EOF (no more bytes).
func (s *scanner) next(keep int) (bool, error) {
	if s.again {
		s.again = false
		s.pos += s.length
		s.lfs += int64(min(s.brk, 1))
		return true, nil
	}
	if s.pos >= s.size {
		return false, nil
	}
	s.prevBrk = s.brk
	s.start = s.pos
	s.length = 0
	s.text = s.text[:0]
	s.truncated = false
	s.brk = 0
	for {
		chunk, err := s.br.ReadSlice('\n')
		s.length += int64(len(chunk))
		if room := keep - len(s.text); room > 0 {
			if len(chunk) > room {
				s.text = append(s.text, chunk[:room]...)
				s.truncated = true
			} else {
				s.text = append(s.text, chunk...)
			}
		} else if len(chunk) > 0 {
			s.truncated = true
		}
		if err == nil {
			s.lfs++
			s.brk = 1
			if s.length >= 2 {
				// The CR may sit at the end of the previous chunk; look
				// at what we kept when we can, else at the chunk.
				if len(chunk) >= 2 {
					if chunk[len(chunk)-2] == '\r' {
						s.brk = 2
					}
				} else if s.lastCR {
					s.brk = 2
				}
			}
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			s.lastCR = len(chunk) > 0 && chunk[len(chunk)-1] == '\r'
			continue
		}
		if err == io.EOF {
			break
		}
		return false, err
	}
	s.lastCR = false
	s.pos += s.length
	if s.length == 0 {
		// The reader ended before size: the ReaderAt is shorter than
		// claimed.
		return false, io.ErrUnexpectedEOF
	}
	return true, nil
}

// unread makes the next call to next return the current line again, as
// it is (kept with the keep of the call that read it); until then pos and
// lfs are as before the line. Only the line just read can be unread.
func (s *scanner) unread() {
	s.again = true
	s.pos = s.start
	s.lfs -= int64(min(s.brk, 1))
}

// blank reports whether the current line is empty (just its terminator).
func (s *scanner) blank() bool {
	return s.length == int64(s.brk) && s.brk > 0
}

// content returns the kept text without its terminator.
func (s *scanner) content() []byte {
	t := s.text
	if !s.truncated {
		t = t[:len(t)-s.brk]
	}
	return t
}
