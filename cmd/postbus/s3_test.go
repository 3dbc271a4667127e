package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/blobstore/s3test"
)

// TestServeWithS3 runs `postbus serve --s3-endpoint ...` against a real
// S3-compatible server (versitygw): an APPENDed body lands in the bucket
// under its SHA-256, FETCH streams it back, identical messages are stored
// once, and a wrong secret key stops the server from starting.
func TestServeWithS3(t *testing.T) {
	cfg := s3test.Start(t)
	s3flags := []string{"--s3-endpoint", "http://" + cfg.Endpoint, "--s3-bucket", cfg.Bucket,
		"--s3-access-key", cfg.AccessKey, "--s3-secret-key", cfg.SecretKey}
	s := startServer(t, "", s3flags...)
	addUser(t, s.data, "s3user", "pw")
	c := dial(t, s, "s3user", "pw", nil)
	appendMessage(t, c, "INBOX", testMessage)
	appendMessage(t, c, "Archive", testMessage) // same bytes: same blob

	store, err := blobstore.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(testMessage))
	id := hex.EncodeToString(sum[:])
	size, err := store.Stat(context.Background(), id)
	if err != nil || size != int64(len(testMessage)) {
		t.Fatalf("blob %s in S3: size %d, err %v; want %d", id, size, err, len(testMessage))
	}
	var n int
	if err := store.List(context.Background(), func(blobstore.ID, int64, time.Time) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d blobs in the bucket after two identical APPENDs, want 1", n)
	}

	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range msgs[0].BodySection {
		if string(b.Bytes) != testMessage {
			t.Fatalf("BODY[] from S3 = %q", b.Bytes)
		}
	}

	// Wrong credentials: refused at start, with the reason.
	bad := append([]string{"serve", "--data", t.TempDir(), "--imaps-addr", "127.0.0.1:0", "--imap-addr", "127.0.0.1:0"}, s3flags...)
	bad[len(bad)-1] = "wrong-secret"
	_, errOut, code := postbusCmd(t, "", bad...)
	if code == 0 || !strings.Contains(errOut, "blob store") {
		t.Fatalf("serve with a wrong S3 secret: exit %d, stderr %q", code, errOut)
	}
}
