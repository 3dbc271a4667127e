package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/postbus/postbus/frontend/mailimport"
)

// runExport implements `postbus export --user NAME --maildir DIR [--data
// DIR | --etcd EPS --s3-...]`: every mailbox of the user as a Maildir++ tree (see
// frontend/mailimport). Exporting again into the same DIR updates it.
func runExport(args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var bf serveFlags
	registerStoreFlags(fs, &bf)
	var cf clusterFlags
	cf.register(fs)
	user := fs.String("user", "", "user to export (required)")
	dir := fs.String("maildir", "", "Maildir++ directory to write (created if missing; required)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("export takes no arguments, got %q", pos)}
	}
	if *user == "" || *dir == "" {
		return usageError{"export: want --user NAME and --maildir DIR"}
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
	w, err := mailimport.NewMaildirWriter(*dir)
	if err != nil {
		return err
	}
	p := newProgress("export")
	ex := &mailimport.Exporter{
		Metadata: client,
		Blobs:    blobs,
		User:     *user,
		Progress: func(st mailimport.ExportStats) {
			p.update(func() string {
				return fmt.Sprintf("%d messages, %s (%s)", st.Messages, humanBytes(st.Bytes), st.Folder)
			})
		},
	}
	st, err := ex.Export(ctx, w)
	p.done()
	for _, warn := range w.Warnings() {
		fmt.Fprintln(os.Stderr, "postbus export: warning:", warn)
	}
	for _, m := range st.Missing {
		fmt.Fprintln(os.Stderr, "postbus export: body missing from the blob store, skipped:", m)
	}
	fmt.Printf("export: %d mailboxes, %d messages, %s to %s\n", st.Mailboxes, st.Messages, humanBytes(st.Bytes), *dir)
	if errors.Is(err, context.Canceled) {
		return errors.New("export interrupted: run the same command again to finish")
	}
	return err
}
