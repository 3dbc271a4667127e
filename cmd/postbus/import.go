package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/mailimport"
	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// runImport implements `postbus import --user NAME (--mbox FILE | --maildir
// DIR) [--mailbox NAME] [--data DIR | --etcd EPS --s3-...]`: the work is
// frontend/mailimport's.
func runImport(args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var bf serveFlags
	registerStoreFlags(fs, &bf)
	var cf clusterFlags
	cf.register(fs)
	user := fs.String("user", "", "user to import into (required)")
	mboxPath := fs.String("mbox", "", "mbox file to import")
	maildirPath := fs.String("maildir", "", "Maildir or Maildir++ directory to import (folders included)")
	mailbox := fs.String("mailbox", "INBOX", "mailbox that receives the mbox, or the Maildir's INBOX (its folders go below it unless it is INBOX)")
	variant := fs.String("mbox-format", "mboxrd", `mboxrd (">>From " lines are quoted) or mboxo`)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("import takes no arguments, got %q", pos)}
	}
	if *user == "" || (*mboxPath == "") == (*maildirPath == "") {
		return usageError{"import: want --user NAME and one of --mbox FILE or --maildir DIR"}
	}
	var v mailimport.MboxVariant
	switch *variant {
	case "mboxrd":
		v = mailimport.MboxRD
	case "mboxo":
		v = mailimport.MboxO
	default:
		return usageError{fmt.Sprintf("import: bad --mbox-format %q (want mboxrd or mboxo)", *variant)}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	blobs, _, err := openBlobs(ctx, &bf)
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	client, closeFn, err := storeClient(ctx, &cf, bf.data, blobs)
	if err != nil {
		return err
	}
	defer closeFn()
	if err := checkUser(ctx, client, *user); err != nil {
		return err
	}

	var src mailimport.Source
	if *mboxPath != "" {
		src, err = mailimport.OpenMbox(*mboxPath, "", v)
	} else {
		src, err = mailimport.OpenMaildir(*maildirPath)
	}
	if err != nil {
		return err
	}
	defer src.Close()

	p := newProgress("import")
	im := &mailimport.Importer{
		Deliverer: &deliver.Deliverer{Metadata: client, Blobs: blobs, TempDir: os.TempDir()},
		User:      *user,
		Mailbox:   *mailbox,
		Progress: func(st mailimport.Stats) {
			p.update(func() string {
				return fmt.Sprintf("%d read, %d imported, %d already there, %d broken, %s (%s)",
					st.Read, st.Imported, st.Duplicates, st.Broken, humanBytes(st.Bytes), st.Folder)
			})
		},
	}
	st, err := im.Import(ctx, src)
	p.done()
	for _, b := range st.BrokenList {
		fmt.Fprintln(os.Stderr, "postbus import: skipped", b)
	}
	fmt.Printf("import: %d read, %d imported, %d already there, %d broken\n", st.Read, st.Imported, st.Duplicates, st.Broken)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("import interrupted: run the same command again to resume")
		}
		return fmt.Errorf("import stopped (run it again to resume): %w", err)
	}
	return nil
}

// registerStoreFlags registers on fs the flags that locate a node's
// stores, --data and the --s3-* flags of serve, with serve's defaults and
// help, writing into f. A node whose bodies are in S3 needs the same --s3
// flags here.
func registerStoreFlags(fs *flag.FlagSet, f *serveFlags) {
	all := flag.NewFlagSet("serve", flag.ContinueOnError)
	f.register(all) // binds every serve flag to f; only some are offered on fs
	for _, name := range []string{"data", "s3-endpoint", "s3-bucket", "s3-access-key", "s3-secret-key", "s3-region", "s3-prefix", "s3-virtual-host"} {
		fl := all.Lookup(name)
		fs.Var(fl.Value, name, fl.Usage)
	}
}

// checkUser fails unless user exists (every user has an INBOX).
func checkUser(ctx context.Context, c metadatapb.MetadataClient, user string) error {
	_, err := c.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: "INBOX"})
	if err = metadatapb.FromStatus(err); errors.Is(err, base.ErrNoSuchUser) || errors.Is(err, base.ErrNoSuchMailbox) {
		return fmt.Errorf("user %s does not exist", user)
	}
	return err
}

// storeClient returns the Metadata client import and export use: with
// --etcd a router over the cluster's shard map (the bodies then go to the
// blob store the --s3 flags name, which must be the cluster's), else
// metadataClient's.
func storeClient(ctx context.Context, cf *clusterFlags, dataDir string, blobs blobstore.Store) (metadatapb.MetadataClient, func(), error) {
	if cf.etcd == "" {
		return metadataClient(ctx, dataDir, blobs)
	}
	ua, closeFn, err := clusterAdminClient(ctx, cf)
	if err != nil {
		return nil, nil, err
	}
	mc, ok := ua.(metadatapb.MetadataClient) // the router serves every RPC
	if !ok {
		closeFn()
		return nil, nil, fmt.Errorf("cluster client %T is not a full Metadata client", ua)
	}
	return mc, closeFn, nil
}

// metadataClient returns a full Metadata client for the node of dataDir:
// the running server's admin socket if it answers, else a node opened in
// this process and served over an in-process connection (as serve does for
// its frontend). Bodies never go through it: the caller writes them to the
// node's blob store directly (the directory store is safe for concurrent
// writers, S3 too).
func metadataClient(ctx context.Context, dataDir string, blobs blobstore.Store) (metadatapb.MetadataClient, func(), error) {
	if cc, err := dialAdmin(dataDir); err != nil {
		return nil, nil, err
	} else if cc != nil {
		return metadatapb.NewMetadataClient(cc), func() { cc.Close() }, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, nil, err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	node, err := metadata.Open(metadata.Options{Dir: filepath.Join(dataDir, "metadata"), Blobs: blobs, Logger: quiet})
	if err != nil {
		return nil, nil, fmt.Errorf("open %s (is a server running without its admin socket?): %w", dataDir, err)
	}
	gs := grpc.NewServer()
	metadatapb.RegisterMetadataServer(gs, node)
	lis := bufconn.Listen(1 << 20)
	go gs.Serve(lis)
	cc, err := grpc.NewClient("passthrough:///inproc",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		gs.Stop()
		node.Close()
		return nil, nil, err
	}
	return metadatapb.NewMetadataClient(cc), func() {
		cc.Close()
		gs.Stop()
		node.Close()
	}, nil
}

// progress writes a status line to stderr at most every 200 ms: rewritten
// in place on a terminal, a new line every 5 s otherwise (logs).
type progress struct {
	name     string
	terminal bool
	last     time.Time
	line     string
}

func newProgress(name string) *progress {
	p := &progress{name: name}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		p.terminal = true
	}
	return p
}

// update renders the line with text when it is time to show it.
func (p *progress) update(text func() string) {
	every := 5 * time.Second
	if p.terminal {
		every = 200 * time.Millisecond
	}
	if time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	p.line = text()
	if p.terminal {
		fmt.Fprintf(os.Stderr, "\r\033[K%s: %s", p.name, p.line)
	} else {
		fmt.Fprintf(os.Stderr, "%s: %s\n", p.name, p.line)
	}
}

// done ends a line rewritten in place.
func (p *progress) done() {
	if p.terminal && p.line != "" {
		fmt.Fprintln(os.Stderr)
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
