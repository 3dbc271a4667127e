package deliver

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/frontend/internal/message"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Deliverer stores messages into users' mailboxes. Its fields are set once
// before use; it is then safe for concurrent use.
type Deliverer struct {
	// Metadata is the metadata service owning the users' shards.
	Metadata metadatapb.MetadataClient
	// Blobs is where bodies go.
	Blobs blobstore.Store
	// MaxSize is the largest body accepted, in octets; <= 0: no limit.
	MaxSize int64
	// Now gives the save date and the default internal date; nil: time.Now.
	Now func() time.Time
	// TempDir holds spool files of bodies over 1 MiB; "": os.TempDir().
	TempDir string
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Prepared is a body that is durable in the blob store and analysed, ready
// to be appended to any number of mailboxes. It holds no resources.
type Prepared struct {
	d    *Deliverer
	meta *metadatapb.MessageMeta // BlobId and Size set; dates per append
}

// BlobID is the content address of the body.
func (p *Prepared) BlobID() string { return p.meta.BlobId }

// Size is the body's size in octets (RFC822.SIZE).
func (p *Prepared) Size() int64 { return int64(p.meta.Size) }

// SentDate is the date of the body's Date: header, zero if it has none
// that parses.
func (p *Prepared) SentDate() time.Time {
	if p.meta.SentDate == 0 {
		return time.Time{}
	}
	return time.Unix(p.meta.SentDate, 0).In(time.FixedZone("", int(p.meta.SentDateZone)))
}

// Prepare reads a whole message from r, turns its bare LFs into CRLF
// (crlfReader), analyses it and stores it durably in the blob store. It
// fails with base.ErrTooBig when the message is more than MaxSize octets
// (counted after that), with an error wrapping ErrSpool when it cannot buffer it,
// and with r's own error when reading fails.
func (d *Deliverer) Prepare(ctx context.Context, r io.Reader) (*Prepared, error) {
	sp := spool{dir: d.TempDir, max: d.MaxSize}
	defer sp.close()
	if err := sp.fill(newCRLFReader(r)); err != nil {
		return nil, err
	}
	meta, err := message.Analyze(sp.readerAt(), sp.size)
	if err != nil {
		return nil, fmt.Errorf("deliver: analysing message: %w", err)
	}
	id, n, err := d.Blobs.Put(ctx, sp.reader(), d.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("deliver: storing body: %w", err)
	}
	meta.BlobId = id
	meta.Size = uint64(n)
	return &Prepared{d: d, meta: meta}, nil
}

// Appended is the outcome of an append.
type Appended struct {
	UID, UIDValidity uint32
	// Duplicate: skipDuplicate found the body already in the mailbox and
	// UID is that message's. (A duplicate appended concurrently by someone
	// else between this call's mailbox lookup and its append is reported
	// as not one: the flag is for progress reports, not for correctness.)
	Duplicate bool
}

// AppendTo appends the prepared body to a mailbox of user (named as in
// metadata: "/"-separated UTF-8, INBOX case-insensitively) with the given
// flags (\Recent is ignored; system flags are matched case-insensitively)
// and internal date (zero: now). With skipDuplicate, a mailbox that already
// holds this exact body gets nothing new and its existing UID is returned.
// It returns the message's UID once the append is durable.
func (p *Prepared) AppendTo(ctx context.Context, user, mailbox string, flags []string, internalDate time.Time, skipDuplicate bool) (uint32, error) {
	a, err := p.Append(ctx, user, mailbox, flags, internalDate, skipDuplicate)
	return a.UID, err
}

// Append is AppendTo reporting more of the outcome.
func (p *Prepared) Append(ctx context.Context, user, mailbox string, flags []string, internalDate time.Time, skipDuplicate bool) (Appended, error) {
	d := p.d
	mb, err := d.Metadata.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: mailbox})
	if err != nil {
		return Appended{}, fmt.Errorf("deliver: mailbox %q of %q: %w", mailbox, user, metadatapb.FromStatus(err))
	}
	resp, err := d.Metadata.Append(ctx, &metadatapb.AppendRequest{
		User:      user,
		MailboxId: mb.Id,
		Messages:  []*metadatapb.NewMessage{p.NewMessage(flags, internalDate, skipDuplicate)},
	})
	if err != nil {
		return Appended{}, fmt.Errorf("deliver: append to %q of %q: %w", mailbox, user, metadatapb.FromStatus(err))
	}
	if len(resp.Uids) != 1 {
		return Appended{}, fmt.Errorf("deliver: append returned %d UIDs for one message: %w", len(resp.Uids), base.ErrUnavailable)
	}
	uid := resp.Uids[0]
	// A new message's UID is at least the UIDNEXT read before the append.
	return Appended{UID: uid, UIDValidity: resp.UidValidity, Duplicate: skipDuplicate && uid < mb.UidNext}, nil
}

// NewMessage is the record of the prepared body for an AppendRequest, for
// callers that commit several bodies in one atomic Append (IMAP
// MULTIAPPEND, RFC 3502) and have resolved the mailbox themselves. Flags
// and dates are handled as by AppendTo.
func (p *Prepared) NewMessage(flags []string, internalDate time.Time, skipDuplicate bool) *metadatapb.NewMessage {
	now := p.d.now()
	if internalDate.IsZero() {
		internalDate = now
	}
	meta := proto.CloneOf(p.meta) // the dates differ per append
	_, off := internalDate.Zone()
	meta.InternalDate = internalDate.Unix()
	meta.InternalDateZone = int32(off)
	meta.SaveDate = now.Unix()
	return &metadatapb.NewMessage{Meta: meta, Flags: CanonicalFlags(flags), SkipDuplicate: skipDuplicate}
}

// Deliver is Prepare followed by one AppendTo.
func (d *Deliverer) Deliver(ctx context.Context, user, mailbox string, r io.Reader, flags []string, internalDate time.Time, skipDuplicate bool) (uint32, error) {
	p, err := d.Prepare(ctx, r)
	if err != nil {
		return 0, err
	}
	return p.AppendTo(ctx, user, mailbox, flags, internalDate, skipDuplicate)
}

// systemFlags are the RFC 9051 §2.3.2 system flags by upper-case name.
var systemFlags = map[string]string{
	`\SEEN`: `\Seen`, `\ANSWERED`: `\Answered`, `\FLAGGED`: `\Flagged`,
	`\DELETED`: `\Deleted`, `\DRAFT`: `\Draft`,
}

// CanonicalFlags spells system flags as RFC 9051 does, drops \Recent (which
// is never stored) and empty or repeated flags, and keeps keywords as they
// are.
func CanonicalFlags(flags []string) []string {
	out := make([]string, 0, len(flags))
	seen := make(map[string]bool, len(flags))
	for _, f := range flags {
		u := strings.ToUpper(f)
		if f == "" || u == `\RECENT` || seen[u] {
			continue
		}
		seen[u] = true
		out = append(out, CanonicalFlag(f))
	}
	return out
}

// CanonicalFlag spells a system flag as RFC 9051 §2.3.2 does (flags are
// case-insensitive on the wire) and returns a keyword as it is.
func CanonicalFlag(f string) string {
	if n, ok := systemFlags[strings.ToUpper(f)]; ok {
		return n
	}
	return f
}
