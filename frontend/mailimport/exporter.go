package mailimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Exporter writes every mailbox of a user to a MaildirWriter.
type Exporter struct {
	Metadata metadatapb.MetadataClient
	Blobs    blobstore.Store
	User     string
	// Progress, if set, is called after every message.
	Progress func(ExportStats)
}

// ExportStats counts what an export did.
type ExportStats struct {
	Mailboxes int
	Messages  int
	Bytes     int64
	Folder    string // the mailbox being written
	// Missing lists the messages whose body is not in the blob store
	// ("MAILBOX UID n"); they are skipped, the export goes on.
	Missing []string
}

// Export writes each mailbox of the user, INBOX as the Maildir root, and
// every message with its flags and internal date. A message whose body is
// missing from the blob store is listed in ExportStats.Missing and skipped. Mailboxes are exported
// one after the other, each as of when it is read.
func (e *Exporter) Export(ctx context.Context, w *MaildirWriter) (ExportStats, error) {
	var st ExportStats
	list, err := e.Metadata.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: e.User})
	if err != nil {
		return st, fmt.Errorf("mailimport: listing mailboxes of %q: %w", e.User, metadatapb.FromStatus(err))
	}
	for _, mb := range list.Mailboxes {
		st.Mailboxes++
		st.Folder = mb.Name
		if err := w.Folder(mb.Name); err != nil {
			return st, err
		}
		if err := e.exportMailbox(ctx, w, mb, &st); err != nil {
			return st, err
		}
	}
	return st, w.Close()
}

func (e *Exporter) exportMailbox(ctx context.Context, w *MaildirWriter, mb *metadatapb.Mailbox, st *ExportStats) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := e.Metadata.Fetch(ctx, &metadatapb.FetchRequest{
		User: e.User, MailboxId: mb.Id, WantMeta: true,
		Uids: &metadatapb.UidSet{Ranges: []*metadatapb.UidRange{{Start: 1}}},
	})
	if err != nil {
		return fmt.Errorf("mailimport: reading %q: %w", mb.Name, metadatapb.FromStatus(err))
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("mailimport: reading %q: %w", mb.Name, metadatapb.FromStatus(err))
		}
		for _, rec := range resp.Messages {
			err := e.exportOne(ctx, w, mb, rec)
			if errors.Is(err, base.ErrNoSuchBlob) {
				st.Missing = append(st.Missing, fmt.Sprintf("%s UID %d", mb.Name, rec.GetState().GetUid()))
				continue
			}
			if err != nil {
				return err
			}
			st.Messages++
			st.Bytes += int64(rec.GetMeta().GetSize())
			if e.Progress != nil {
				e.Progress(*st)
			}
		}
	}
}

func (e *Exporter) exportOne(ctx context.Context, w *MaildirWriter, mb *metadatapb.Mailbox, rec *metadatapb.MessageRecord) error {
	meta := rec.GetMeta()
	body, err := e.Blobs.Open(ctx, meta.GetBlobId(), 0, -1)
	if err != nil {
		return fmt.Errorf("mailimport: body of %q UID %d: %w", mb.Name, rec.GetState().GetUid(), err)
	}
	defer body.Close()
	date := time.Unix(meta.GetInternalDate(), 0).In(time.FixedZone("", int(meta.GetInternalDateZone())))
	return w.Write(ExportMessage{
		Folder:      mb.Name,
		UIDValidity: mb.UidValidity,
		UID:         rec.GetState().GetUid(),
		Flags:       rec.GetState().GetFlags(),
		Date:        date,
		Body:        body,
	})
}
