package mailimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Importer appends the messages of Sources to one user's mailboxes.
type Importer struct {
	// Deliverer stores bodies and appends them; its Metadata client also
	// creates folders.
	Deliverer *deliver.Deliverer
	User      string
	// Mailbox receives the Source's root folder ("" is INBOX); the
	// Source's other folders go below it (or at the top level when it is
	// INBOX).
	Mailbox string
	// Progress, if set, is called after every message.
	Progress func(Stats)

	created map[string]bool
}

// Stats counts what an import did.
type Stats struct {
	Read       int      // messages read from the source, broken ones included
	Imported   int      // appended
	Duplicates int      // already in their mailbox (an earlier run)
	Broken     int      // skipped
	BrokenList []string // "NAME: reason" of each skipped message
	Bytes      int64    // octets of the imported and duplicate messages
	Folder     string   // the folder of the last message
}

// Target is the mailbox a source folder goes to.
func (im *Importer) Target(folder string) string {
	root := im.Mailbox
	if root == "" {
		root = "INBOX"
	}
	if folder == "" {
		return root
	}
	if strings.EqualFold(root, "INBOX") {
		return folder
	}
	return root + "/" + folder
}

// Import reads src to its end. A broken message, or one the server refuses
// on its own (too big, bad flags), is counted in Stats.Broken and skipped;
// any other error (the server unavailable, the user unknown, a read error
// of the source) ends the import and is returned with the counts so far.
// Running it again over the same source resumes where it stopped: the
// messages already imported are found as duplicates.
func (im *Importer) Import(ctx context.Context, src Source) (Stats, error) {
	var st Stats
	if im.created == nil {
		im.created = map[string]bool{}
	}
	report := func() {
		if im.Progress != nil {
			im.Progress(st)
		}
	}
	broken := func(name, reason string) {
		st.Broken++
		st.BrokenList = append(st.BrokenList, name+": "+reason)
		report()
	}
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		m, err := src.Next()
		if err == io.EOF {
			return st, nil
		}
		var be *BrokenError
		if errors.As(err, &be) {
			st.Read++
			broken(be.Name, be.Reason)
			continue
		}
		if err != nil {
			return st, err
		}
		st.Read++
		mailbox := im.Target(m.Folder)
		st.Folder = mailbox
		if err := im.ensureMailbox(ctx, mailbox); err != nil {
			return st, err
		}
		p, err := im.Deliverer.Prepare(ctx, m.Body)
		if err != nil {
			if errors.Is(err, base.ErrTooBig) || errors.Is(err, base.ErrInvalidArgument) {
				broken(m.Name, err.Error())
				continue
			}
			return st, fmt.Errorf("mailimport: %s: %w", m.Name, err)
		}
		date := m.Date
		if date.IsZero() {
			date = p.SentDate() // better than the time of the import
		}
		a, err := p.Append(ctx, im.User, mailbox, m.Flags, date, true)
		if err != nil {
			if errors.Is(err, base.ErrInvalidArgument) || errors.Is(err, base.ErrTooBig) {
				broken(m.Name, err.Error())
				continue
			}
			return st, fmt.Errorf("mailimport: %s: %w", m.Name, err)
		}
		st.Bytes += p.Size()
		if a.Duplicate {
			st.Duplicates++
		} else {
			st.Imported++
		}
		report()
	}
}

// ensureMailbox creates a mailbox (and its parents) unless it exists, and
// subscribes to a mailbox it creates.
func (im *Importer) ensureMailbox(ctx context.Context, name string) error {
	if im.created[name] || strings.EqualFold(name, "INBOX") {
		return nil
	}
	md := im.Deliverer.Metadata
	_, err := md.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: im.User, Name: name})
	switch err = metadatapb.FromStatus(err); {
	case err == nil:
		// Many clients show only subscribed folders: a migrated folder
		// should be visible where it was.
		_, err = md.SetSubscribed(ctx, &metadatapb.SetSubscribedRequest{User: im.User, Name: name, Subscribed: true})
		if err != nil {
			return fmt.Errorf("mailimport: subscribing to %q: %w", name, metadatapb.FromStatus(err))
		}
	case !errors.Is(err, base.ErrMailboxExists):
		return fmt.Errorf("mailimport: creating mailbox %q: %w", name, err)
	}
	im.created[name] = true
	return nil
}
