package blobstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// gcTrashDir holds blobs the collector has taken out of their place and not
// yet decided on (same filesystem as the blobs: renames are atomic). Its
// name is no fan-out directory, so List never sees it.
const gcTrashDir = "gc-trash"

// trashAge is how long ago a blob must have been taken into the trash for
// PrepareGC to put it back.
const trashAge = time.Minute

// DeleteIfOlder implements ConditionalDeleter without any window in which
// a concurrent Put could lose its blob: the blob is first renamed into the
// trash directory, and only then is its modification time read. A Put that
// touched it before the rename left a fresh time there, and the blob is
// renamed back; a Put that touches it after the rename finds no file and
// stores its own copy (dir_put.go). A crash between the two renames leaves
// the blob in the trash, which PrepareGC puts back before the next pass.
func (d *Dir) DeleteIfOlder(ctx context.Context, id ID, cutoff time.Time) (bool, error) {
	if err := CheckID(id); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	final := d.path(id)
	if info, err := os.Lstat(final); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, d.mapErr("gc stat", id, err)
	} else if !info.ModTime().Before(cutoff) {
		return false, nil
	}
	trash := filepath.Join(d.root, gcTrashDir)
	if err := os.MkdirAll(trash, dirPerm); err != nil {
		return false, fmt.Errorf("blobstore: gc trash: %w", err)
	}
	// The name records when the blob was taken, so that PrepareGC of a
	// concurrent pass leaves it alone.
	var r [8]byte
	rand.Read(r[:])
	held := filepath.Join(trash, fmt.Sprintf("%s.%d.%s", id, time.Now().UnixNano(), hex.EncodeToString(r[:])))
	if err := os.Rename(final, held); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("blobstore: gc take %s: %w", id, err)
	}
	info, err := os.Lstat(held)
	if err != nil {
		return false, fmt.Errorf("blobstore: gc stat %s: %w", id, err)
	}
	if !info.ModTime().Before(cutoff) {
		// Refreshed by a Put just before the rename: put it back (over a
		// copy a later Put may have stored meanwhile: same bytes).
		if err := os.Rename(held, final); err != nil {
			return false, fmt.Errorf("blobstore: gc restore %s: %w", id, err)
		}
		return false, syncDir(filepath.Dir(final))
	}
	if err := os.Remove(held); err != nil {
		return false, fmt.Errorf("blobstore: gc delete %s: %w", id, err)
	}
	return true, syncDir(filepath.Dir(final))
}

// PrepareGC implements GCPreparer: every blob left in the trash by a
// collector that crashed between its two renames goes back to its name
// (unless a Put stored it again meanwhile), so the next pass decides on it
// afresh. Blobs taken less than trashAge ago belong to a pass still
// running (a collector holds one for two system calls) and stay.
func (d *Dir) PrepareGC(ctx context.Context) error {
	trash := filepath.Join(d.root, gcTrashDir)
	entries, err := os.ReadDir(trash)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blobstore: gc trash: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		parts := strings.Split(e.Name(), ".")
		held := filepath.Join(trash, e.Name())
		if len(parts) != 3 || !ValidID(parts[0]) {
			continue
		}
		id := parts[0]
		taken, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || time.Since(time.Unix(0, taken)) < trashAge {
			continue
		}
		if _, err := os.Lstat(d.path(id)); err == nil {
			os.Remove(held) // stored again by a Put: same bytes
			continue
		}
		if err := d.mkFanout(id); err != nil {
			return err
		}
		if err := os.Rename(held, d.path(id)); err != nil {
			return fmt.Errorf("blobstore: gc restore %s: %w", id, err)
		}
	}
	return nil
}
