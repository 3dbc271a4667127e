package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// List implements Store. It walks the two fan-out levels and then each leaf
// directory, so memory is bounded by one leaf's listing, not the store.
// Entries that do not look like a blob in its proper place (tmp/, stray
// files) are skipped; blobs deleted during the walk are skipped too.
func (d *Dir) List(ctx context.Context, fn func(id ID, size int64, modTime time.Time) bool) error {
	_, err := d.listLevel(ctx, d.root, "", 0, fn)
	return err
}

// listLevel lists dir, whose names so far spell prefix. At level fanDepth it
// holds blobs; above, fan-out directories. It returns false once fn asked to
// stop.
func (d *Dir) listLevel(ctx context.Context, dir, prefix string, level int, fn func(ID, int64, time.Time) bool) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if level > 0 && errors.Is(err, fs.ErrNotExist) {
			return true, nil
		}
		return false, fmt.Errorf("blobstore: list %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if level < fanDepth {
			if !e.IsDir() || !isHexByte(name) {
				continue
			}
			more, err := d.listLevel(ctx, filepath.Join(dir, name), prefix+name, level+1, fn)
			if !more || err != nil {
				return false, err
			}
			continue
		}
		if !e.Type().IsRegular() || !ValidID(name) || name[:len(prefix)] != prefix {
			continue
		}
		info, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return false, fmt.Errorf("blobstore: list %s: %w", name, err)
		}
		if !fn(name, info.Size(), info.ModTime()) {
			return false, nil
		}
	}
	return true, nil
}

// isHexByte reports whether s is two lower-case hex characters, the name of
// a fan-out directory.
func isHexByte(s string) bool {
	return len(s) == 2 && isLowerHex(s)
}
