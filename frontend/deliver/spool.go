package deliver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/postbus/postbus/metadata/base"
)

// memSpool is how much of a body is kept in memory before the spool moves
// to a temporary file.
const memSpool = 1 << 20

// ErrSpool is a local failure to buffer a message (disk full, …), as
// opposed to the sender's reader failing.
var ErrSpool = errors.New("deliver: spooling message")

// spool holds one message body while it is analysed and stored: in memory
// up to memSpool octets, then in a temporary file removed by close.
type spool struct {
	dir  string // for the temporary file; "" is os.TempDir
	max  int64  // <= 0: no limit
	mem  bytes.Buffer
	file *os.File
	size int64
}

// fill reads r to EOF into the spool. A read error is the caller's
// (returned as is); more than max octets is base.ErrTooBig; a write error
// wraps ErrSpool.
func (s *spool) fill(r io.Reader) error {
	buf := make([]byte, 32*1024)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if s.max > 0 && s.size+int64(n) > s.max {
				return fmt.Errorf("deliver: message larger than %d octets: %w", s.max, base.ErrTooBig)
			}
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
		f, err := os.CreateTemp(s.dir, "postbus-deliver-*")
		if err != nil {
			return errors.Join(ErrSpool, err)
		}
		s.file = f
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			return errors.Join(ErrSpool, err)
		}
		s.mem = bytes.Buffer{}
	}
	if _, err := s.file.Write(p); err != nil {
		return errors.Join(ErrSpool, err)
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
	s.mem = bytes.Buffer{}
}
