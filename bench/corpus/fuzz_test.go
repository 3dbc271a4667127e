package corpus

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzMbox feeds arbitrary files to the mbox reader: it must either refuse
// the file or return every message it indexed, in CRLF form, without
// panicking.
func FuzzMbox(f *testing.F) {
	f.Add([]byte("From a@b Mon Jan  2 15:04:05 2006\nSubject: x\n\nbody\n>From quoted\n\nFrom c@d Tue Jan  3 10:00:00 2006\n\n"))
	f.Add([]byte("From \n"))
	f.Add([]byte("no separator\n"))
	f.Add([]byte("From x\r\nDate: Mon, 2 Jan 2006 15:04:05 +0000\r\n\r\n\r\n"))
	f.Add(append([]byte("From x\n"), bytes.Repeat([]byte("y"), 70000)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.mbox")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := OpenMbox(path)
		if err != nil {
			return
		}
		defer m.Close()
		total := 0
		for i := 0; i < m.Len(); i++ {
			msg, err := m.Message(0, i)
			if err != nil {
				t.Fatalf("message %d of %d: %v", i, m.Len(), err)
			}
			if bytes.Contains(bytes.ReplaceAll(msg.Raw, []byte("\r\n"), nil), []byte("\n")) {
				t.Fatalf("message %d has a bare LF", i)
			}
			total += len(msg.Raw)
		}
		if total > 2*len(data)+16 {
			t.Fatalf("messages total %d bytes from a %d-byte file", total, len(data))
		}
	})
}
