package frontend

import (
	"bytes"
	"errors"
	"io"
	"os"
)

// memSpool is how much of an APPEND literal is kept in memory before the
// spool moves to a temporary file.
const memSpool = 1 << 20

// errSpoolWrite is a local failure to buffer a message (disk full, …), as
// opposed to the client's connection failing.
var errSpoolWrite = errors.New("frontend: spooling message")

// spool holds one message body while it is analysed and stored: in memory
// up to memSpool octets, then in an unlinked-on-close temporary file.
type spool struct {
	mem  bytes.Buffer
	file *os.File
	size int64
}

// fill reads r to EOF into the spool. A read error is the client's (wrapped
// as is); a write error wraps errSpoolWrite.
func (s *spool) fill(r io.Reader) error {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if werr := s.write(buf[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (s *spool) write(p []byte) error {
	s.size += int64(len(p))
	if s.file == nil && s.mem.Len()+len(p) <= memSpool {
		s.mem.Write(p)
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "postbus-append-*")
		if err != nil {
			return errors.Join(errSpoolWrite, err)
		}
		s.file = f
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			return errors.Join(errSpoolWrite, err)
		}
		s.mem = bytes.Buffer{}
	}
	if _, err := s.file.Write(p); err != nil {
		return errors.Join(errSpoolWrite, err)
	}
	return nil
}

// readerAt reads the spooled message at any offset.
func (s *spool) readerAt() io.ReaderAt {
	if s.file != nil {
		return s.file
	}
	return bytes.NewReader(s.mem.Bytes())
}

// reader reads the whole spooled message from the start.
func (s *spool) reader() io.Reader { return io.NewSectionReader(s.readerAt(), 0, s.size) }

// close releases the spool (removes the temporary file).
func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
		s.file = nil
	}
}
