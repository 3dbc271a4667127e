package blobstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/blobstore/blobstoretest"
)

func TestDirConformance(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		d, err := blobstore.NewDir(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

func TestDirLayout(t *testing.T) {
	d, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := d.Put(context.Background(), strings.NewReader("hello"), 0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(d.Root(), id[0:2], id[2:4], id)
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "hello" {
		t.Fatalf("blob file %s: %q, %v", path, b, err)
	}
	if tmp, _ := os.ReadDir(filepath.Join(d.Root(), "tmp")); len(tmp) != 0 {
		t.Fatalf("temp files left after Put: %v", tmp)
	}
}

func TestDirRemovesStaleTemps(t *testing.T) {
	root := t.TempDir()
	if _, err := blobstore.NewDir(root); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(root, "tmp", "put-stale")
	fresh := filepath.Join(root, "tmp", "put-fresh")
	other := filepath.Join(root, "tmp", "not-ours")
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * blobstore.StaleTempAge)
	for _, p := range []string{stale, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := blobstore.NewDir(root); err != nil {
		t.Fatal(err)
	}
	for p, wantExist := range map[string]bool{stale: false, fresh: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != wantExist {
			t.Errorf("%s exists = %v, want %v", filepath.Base(p), err == nil, wantExist)
		}
	}
}

// List must skip what is not a blob in its place: temp files, stray files,
// a blob file under the wrong fan-out directory.
func TestDirListSkipsStrays(t *testing.T) {
	d, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := d.Put(context.Background(), strings.NewReader("real"), 0)
	if err != nil {
		t.Fatal(err)
	}
	misplaced := strings.Repeat("0", 64)
	for _, p := range []string{
		filepath.Join(d.Root(), "tmp", "put-123"),
		filepath.Join(d.Root(), "README"),
		filepath.Join(d.Root(), id[0:2], id[2:4], "notes.txt"),
		filepath.Join(d.Root(), id[0:2], id[2:4], misplaced),
		filepath.Join(d.Root(), "zz", "zz", misplaced),
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := d.List(context.Background(), func(id string, _ int64, _ time.Time) bool {
		got = append(got, id)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != id {
		t.Fatalf("List = %v, want only %s", got, id)
	}
}

// A duplicate Put refreshes the blob's modification time, so a GC that
// lists after the Put keeps it through its grace period.
func TestDirDedupTouches(t *testing.T) {
	d, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := d.Put(context.Background(), strings.NewReader("body"), 0)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(d.Root(), id[0:2], id[2:4], id)
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Put(context.Background(), strings.NewReader("body"), 0); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().After(old.Add(24 * time.Hour)) {
		t.Fatalf("modification time %v not refreshed by a duplicate Put", info.ModTime())
	}
}

func TestNewDirRejectsEmptyRoot(t *testing.T) {
	if _, err := blobstore.NewDir(""); err == nil {
		t.Fatal("NewDir(\"\") succeeded")
	}
}
