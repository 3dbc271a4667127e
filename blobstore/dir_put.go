package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Put implements Store: stream to tmp/put-* while hashing, fsync, rename to
// ab/cd/<id>, fsync the directory. Any failure removes the temp file, so a
// failed Put leaves nothing under a final name.
func (d *Dir) Put(ctx context.Context, r io.Reader, maxSize int64) (ID, int64, error) {
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	f, err := os.CreateTemp(d.tmp, tmpGlob)
	if err != nil {
		return "", 0, fmt.Errorf("blobstore: put: create temp file: %w", err)
	}
	tmpName := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmpName)
		}
	}()

	hr := newHashReader(ctx, r, maxSize)
	bufp := copyBufs.Get().(*[]byte)
	// Hide f's ReadFrom so CopyBuffer uses the pooled buffer: hr is no file
	// that copy_file_range or splice could take from directly anyway.
	_, err = io.CopyBuffer(struct{ io.Writer }{f}, hr, *bufp)
	copyBufs.Put(bufp)
	if err != nil {
		if hr.err != nil {
			err = hr.err
		}
		return "", 0, fmt.Errorf("blobstore: put: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("blobstore: put: fsync temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", 0, fmt.Errorf("blobstore: put: close temp file: %w", err)
	}
	id, size := hr.id(), hr.n
	final := d.path(id)

	if _, err := os.Lstat(final); err == nil {
		// Dedup: the same bytes are already durable under this name. Touch
		// the blob so a GC pass that lists it after this Put sees it as new
		// and keeps it through the grace period that covers the caller's
		// metadata commit (DESIGN.md "body first, then metadata").
		now := time.Now()
		err := os.Chtimes(final, now, now)
		if err == nil {
			return id, size, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", 0, fmt.Errorf("blobstore: put: touch %s: %w", id, err)
		}
		// It vanished just now (a GC Delete): store it again below.
	}
	if err := d.mkFanout(id); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmpName, final); err != nil {
		return "", 0, fmt.Errorf("blobstore: put: rename to %s: %w", id, err)
	}
	committed = true
	// Concurrent Puts of the same bytes may both rename: the second replaces
	// the first with identical content, which is harmless.
	if err := syncDir(filepath.Dir(final)); err != nil {
		return "", 0, fmt.Errorf("blobstore: put: %w", err)
	}
	return id, size, nil
}

// copyBufs holds the buffers Put streams through, one per Put in flight.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, 64<<10)
	return &b
}}

// mkFanout creates the two fan-out directories of id if missing, and fsyncs
// the parent of each one it creates so the new entry survives a crash.
func (d *Dir) mkFanout(id ID) error {
	parent := d.root
	for level := 0; level < fanDepth; level++ {
		dir := filepath.Join(parent, id[2*level:2*level+2])
		err := os.Mkdir(dir, dirPerm)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return fmt.Errorf("blobstore: put: %w", err)
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return fmt.Errorf("blobstore: put: create fan-out directory: %w", err)
		}
		parent = dir
	}
	return nil
}

// syncDir fsyncs a directory so that entries created or renamed in it are
// durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory for fsync: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}
