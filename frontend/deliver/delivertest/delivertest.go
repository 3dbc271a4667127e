// Package delivertest runs a metadata node and a blob directory inside a
// test, with a deliver.Deliverer wired to them, for the tests of the
// packages that deliver mail (deliver, lmtp, mailimport).
package delivertest

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Env is a metadata node served over an in-process gRPC connection, a blob
// directory, and a Deliverer using both. Everything is stopped by the
// test's cleanup.
type Env struct {
	Client    metadatapb.MetadataClient
	Blobs     blobstore.Store
	BlobDir   string
	Deliverer *deliver.Deliverer
}

// New starts an Env in t's temporary directory.
func New(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	blobDir := filepath.Join(dir, "blobs")
	blobs, err := blobstore.NewDir(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	node, err := metadata.Open(metadata.Options{Dir: filepath.Join(dir, "metadata"), Blobs: blobs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	metadatapb.RegisterMetadataServer(srv, node)
	go srv.Serve(lis)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		node.Close()
	})
	client := metadatapb.NewMetadataClient(conn)
	return &Env{
		Client:    client,
		Blobs:     blobs,
		BlobDir:   blobDir,
		Deliverer: &deliver.Deliverer{Metadata: client, Blobs: blobs, TempDir: dir},
	}
}

// AddUser creates a user (with its default mailboxes).
func (e *Env) AddUser(t testing.TB, name string) {
	t.Helper()
	if _, err := e.Client.CreateUser(context.Background(), &metadatapb.CreateUserRequest{User: name, Password: "a long test password"}); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
}

// Messages returns the records (state and meta) of every message of a
// mailbox, ascending by UID.
func (e *Env) Messages(t testing.TB, user, mailbox string) []*metadatapb.MessageRecord {
	t.Helper()
	ctx := context.Background()
	mb, err := e.Client.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: mailbox})
	if err != nil {
		t.Fatalf("mailbox %s of %s: %v", mailbox, user, err)
	}
	stream, err := e.Client.Fetch(ctx, &metadatapb.FetchRequest{User: user, MailboxId: mb.Id, Uids: &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: 1}}}, WantMeta: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []*metadatapb.MessageRecord
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("fetch %s of %s: %v", mailbox, user, err)
		}
		out = append(out, resp.Messages...)
	}
	return out
}

// BlobFiles counts the bodies in the blob directory.
func (e *Env) BlobFiles(t testing.TB) int {
	t.Helper()
	return CountBlobFiles(t, e.BlobDir)
}

// CountBlobFiles counts the regular files below dir whose name is a blob id.
func CountBlobFiles(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && blobstore.ValidID(d.Name()) {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
