package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/postbus/postbus/metadata/base"
)

// Dir is a Store in a local directory. Layout under root:
//
//	ab/cd/abcd…(64 hex)   a blob, named by its ID, fanned out by its first
//	                      two bytes so no directory grows past ~1/65536 of
//	                      the store
//	tmp/put-*             a Put in progress (same filesystem, so the final
//	                      rename is atomic)
//
// A blob file is complete whenever it exists under its final name: Put
// fsyncs it before the rename and fsyncs the directory after. Leftover temp
// files (a crash mid-Put) older than StaleTempAge are removed by NewDir.
type Dir struct {
	root string
	tmp  string
}

var _ Store = (*Dir)(nil)

// StaleTempAge is how old a leftover temp file (or temp object, for S3) must
// be before a newly opened store removes it. It is far longer than any Put
// should take, so a store opened beside a running one (two processes on one
// root) never removes a temp file that is still being written.
const StaleTempAge = time.Hour

const (
	dirPerm  = 0o700
	tmpDir   = "tmp"
	tmpGlob  = "put-*"
	fanDepth = 2 // fan-out levels, one byte (two hex chars) each
)

// NewDir opens (creating if needed) a directory store rooted at root and
// removes stale temp files.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, fmt.Errorf("blobstore: empty directory: %w", base.ErrInvalidArgument)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	d := &Dir{root: abs, tmp: filepath.Join(abs, tmpDir)}
	if err := os.MkdirAll(d.tmp, dirPerm); err != nil {
		return nil, fmt.Errorf("blobstore: create store directory: %w", err)
	}
	if err := d.removeStaleTemps(time.Now().Add(-StaleTempAge)); err != nil {
		return nil, err
	}
	return d, nil
}

// Root returns the absolute directory of the store.
func (d *Dir) Root() string { return d.root }

func (d *Dir) removeStaleTemps(before time.Time) error {
	entries, err := os.ReadDir(d.tmp)
	if err != nil {
		return fmt.Errorf("blobstore: read temp directory: %w", err)
	}
	for _, e := range entries {
		if ok, _ := filepath.Match(tmpGlob, e.Name()); !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(before) {
			continue // vanished, or possibly still being written
		}
		if err := os.Remove(filepath.Join(d.tmp, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			slog.Warn("blobstore: removing stale temp file", "file", e.Name(), "err", err)
		}
	}
	return nil
}

// path returns the final path of a valid id.
func (d *Dir) path(id ID) string {
	return filepath.Join(d.root, id[0:2], id[2:4], id)
}

// Open implements Store. The returned reader reads the file directly; it
// keeps working after ctx ends (ctx only bounds the open itself).
func (d *Dir) Open(ctx context.Context, id ID, offset, length int64) (io.ReadCloser, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	if err := checkRange(offset); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(id))
	if err != nil {
		return nil, d.mapErr("open", id, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blobstore: stat %s: %w", id, err)
	}
	n := clampRange(info.Size(), offset, length)
	return &sectionReadCloser{SectionReader: io.NewSectionReader(f, offset, n), f: f}, nil
}

// clampRange returns how many bytes of a blob of size bytes a read of length
// bytes at offset yields: ranges past the end are truncated, length < 0
// means to the end.
func clampRange(size, offset, length int64) int64 {
	if offset >= size {
		return 0
	}
	rest := size - offset
	if length < 0 || length > rest {
		return rest
	}
	return length
}

type sectionReadCloser struct {
	*io.SectionReader
	f *os.File
}

func (s *sectionReadCloser) Close() error { return s.f.Close() }

// Stat implements Store.
func (d *Dir) Stat(ctx context.Context, id ID) (int64, error) {
	if err := CheckID(id); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	info, err := os.Stat(d.path(id))
	if err != nil {
		return 0, d.mapErr("stat", id, err)
	}
	return info.Size(), nil
}

// Delete implements Store. The removal is not fsynced: if a crash undoes it,
// the blob is still unreferenced and the next GC pass removes it again.
// Empty fan-out directories are kept, since a concurrent Put may be about to
// use them.
func (d *Dir) Delete(ctx context.Context, id ID) error {
	if err := CheckID(id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(d.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobstore: delete %s: %w", id, err)
	}
	return nil
}

func (d *Dir) mapErr(op string, id ID, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobstore: %s %s: %w", op, id, base.ErrNoSuchBlob)
	}
	return fmt.Errorf("blobstore: %s %s: %w", op, id, err)
}
