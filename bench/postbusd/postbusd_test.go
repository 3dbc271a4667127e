package postbusd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartAddUserStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin, err := Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	srv, err := Start(ctx, bin, data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.IMAPS, "127.0.0.1:") || !strings.HasPrefix(srv.IMAP, "127.0.0.1:") {
		t.Errorf("addresses %q %q", srv.IMAPS, srv.IMAP)
	}
	if _, err := os.Stat(srv.Cert); err != nil {
		t.Errorf("certificate: %v", err)
	}
	if err := srv.AddUser(ctx, "carol", "a long passphrase"); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser(ctx, "carol", "again"); !errors.Is(err, ErrPostbusd) {
		t.Errorf("adding a user twice: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v\n%s", err, srv.Stderr())
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	// A server that cannot start reports why.
	if _, err := Start(ctx, filepath.Join(t.TempDir(), "missing"), data); !errors.Is(err, ErrPostbusd) {
		t.Errorf("missing binary: %v", err)
	}
	if _, err := Start(ctx, bin, data, "--no-such-flag"); !errors.Is(err, ErrPostbusd) {
		t.Errorf("bad flag: %v", err)
	}
}
