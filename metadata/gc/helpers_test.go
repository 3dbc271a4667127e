package gc_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/gc"
	"github.com/postbus/postbus/proto/metadatapb"
)

// env is a metadata node serving Metadata and Admin in process, a blob
// directory, and a Deliverer (the APPEND path of IMAP and LMTP).
type env struct {
	md      metadatapb.MetadataClient
	admin   metadatapb.AdminClient
	blobs   *blobstore.Dir
	blobDir string
	dlv     *deliver.Deliverer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	blobDir := filepath.Join(dir, "blobs")
	blobs, err := blobstore.NewDir(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	node, err := metadata.Open(metadata.Options{Dir: filepath.Join(dir, "md"), Shards: 8, Blobs: blobs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	metadatapb.RegisterMetadataServer(srv, node)
	metadatapb.RegisterAdminServer(srv, node.Admin())
	go srv.Serve(lis)
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cc.Close()
		srv.Stop()
		node.Close()
	})
	md := metadatapb.NewMetadataClient(cc)
	return &env{
		md: md, admin: metadatapb.NewAdminClient(cc), blobs: blobs, blobDir: blobDir,
		dlv: &deliver.Deliverer{Metadata: md, Blobs: blobs, TempDir: dir},
	}
}

func (e *env) addUser(t *testing.T, name string) {
	t.Helper()
	if _, err := e.md.CreateUser(context.Background(), &metadatapb.CreateUserRequest{User: name, Password: "a long test password"}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) opts(grace time.Duration, dry bool) gc.Options {
	return gc.Options{
		Blobs: e.blobs, Grace: grace, DryRun: dry,
		Sources: []gc.Source{{Name: "node", Client: e.admin}},
		Logger:  slog.New(slog.DiscardHandler),
	}
}

// body is message number i (distinct bytes, distinct blob).
func body(i int) string {
	return fmt.Sprintf("From: a@example.org\r\nSubject: message %d\r\n\r\nbody %d\r\n", i, i)
}

// putGarbage stores a body no message references and returns its id.
func (e *env) putGarbage(t *testing.T, b string) string {
	t.Helper()
	id, _, err := e.blobs.Put(context.Background(), strings.NewReader(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// age sets a blob's modification time d in the past.
func (e *env) age(t *testing.T, id string, d time.Duration) {
	t.Helper()
	old := time.Now().Add(-d)
	if err := os.Chtimes(e.path(id), old, old); err != nil {
		t.Fatal(err)
	}
}

// slowList is the env's Dir with a pause after each listed blob, which
// widens the window between the listing (where the collector reads a
// blob's time) and its deletion: the window a concurrent APPEND of the same
// bytes must not fall into.
type slowList struct {
	*blobstore.Dir
	pause time.Duration
}

func (s slowList) List(ctx context.Context, fn func(id string, size int64, mt time.Time) bool) error {
	return s.Dir.List(ctx, func(id string, size int64, mt time.Time) bool {
		time.Sleep(s.pause)
		return fn(id, size, mt)
	})
}

func (e *env) path(id string) string {
	return filepath.Join(e.blobDir, id[:2], id[2:4], id)
}

func (e *env) exists(t *testing.T, id string) bool {
	t.Helper()
	_, err := e.blobs.Stat(context.Background(), id)
	return err == nil
}

// referenced returns every blob id messages reference, from the node.
func (e *env) referenced(t *testing.T) []string {
	t.Helper()
	st, err := e.admin.ListBlobRefs(context.Background(), &metadatapb.ListBlobRefsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for {
		m, err := st.Recv()
		if err != nil {
			break
		}
		ids = append(ids, m.Ids...)
	}
	return ids
}
