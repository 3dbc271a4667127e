package blobstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/blobstore"
)

func TestDirDeleteIfOlder(t *testing.T) {
	ctx := context.Background()
	d, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put := func(s string) string {
		id, _, err := d.Put(ctx, strings.NewReader(s), 0)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	path := func(id string) string { return filepath.Join(d.Root(), id[:2], id[2:4], id) }
	old, young := put("old"), put("young")
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(path(old), past, past)
	cutoff := time.Now().Add(-time.Hour)
	for _, c := range []struct {
		id   string
		want bool
	}{{young, false}, {old, true}, {old, false} /* gone already */} {
		got, err := blobstore.DeleteIfOlder(ctx, d, c.id, cutoff)
		if err != nil || got != c.want {
			t.Errorf("DeleteIfOlder(%s) = %v, %v; want %v", c.id[:8], got, err, c.want)
		}
	}
	if _, err := d.Stat(ctx, young); err != nil {
		t.Errorf("young blob: %v", err)
	}
	if _, err := blobstore.DeleteIfOlder(ctx, d, "nope", cutoff); !errors.Is(err, blobstore.ErrInvalidID) {
		t.Errorf("bad id: %v", err)
	}

	// A blob a crashed collector left in the trash goes back; one a
	// running pass holds (taken just now) stays.
	trash := filepath.Join(d.Root(), "gc-trash")
	os.MkdirAll(trash, 0o700)
	lost, held := put("lost"), put("held")
	stale := strconv.FormatInt(time.Now().Add(-time.Hour).UnixNano(), 10)
	fresh := strconv.FormatInt(time.Now().UnixNano(), 10)
	if err := os.Rename(path(lost), filepath.Join(trash, lost+"."+stale+".00")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path(held), filepath.Join(trash, held+"."+fresh+".00")); err != nil {
		t.Fatal(err)
	}
	if err := d.PrepareGC(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stat(ctx, lost); err != nil {
		t.Errorf("blob left in the trash not restored: %v", err)
	}
	if _, err := d.Stat(ctx, held); err == nil {
		t.Errorf("blob held by a running pass restored")
	}
}

// unsorted lists two ids backwards.
type unsorted struct{ blobstore.Store }

func (unsorted) List(ctx context.Context, fn func(string, int64, time.Time) bool) error {
	if fn(strings.Repeat("b", 64), 1, time.Time{}) {
		fn(strings.Repeat("a", 64), 1, time.Time{})
	}
	return nil
}

func TestListSorted(t *testing.T) {
	ctx := context.Background()
	d, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if _, _, err := d.Put(ctx, strings.NewReader(strconv.Itoa(i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	if err := blobstore.ListSorted(ctx, d, func(string, int64, time.Time) bool { n++; return true }); err != nil || n != 50 {
		t.Fatalf("ListSorted(Dir) = %d blobs, %v", n, err)
	}
	seen := 0
	err = blobstore.ListSorted(ctx, unsorted{}, func(string, int64, time.Time) bool { seen++; return true })
	if !errors.Is(err, blobstore.ErrUnsorted) || seen != 1 {
		t.Fatalf("unsorted store: %v after %d ids", err, seen)
	}
	if _, err := blobstore.DeleteIfOlder(ctx, unsorted{}, strings.Repeat("a", 64), time.Now()); !errors.Is(err, blobstore.ErrNoConditionalDelete) {
		t.Fatalf("store without DeleteIfOlder: %v", err)
	}
}
