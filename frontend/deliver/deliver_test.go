package deliver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/deliver/delivertest"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

const msg = "From: a@example.org\r\nTo: b@example.org\r\nSubject: hello\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n"

func TestDeliver(t *testing.T) {
	ctx := context.Background()
	e := delivertest.New(t)
	e.AddUser(t, "bob")
	e.AddUser(t, "carol")
	date := time.Date(2020, 5, 6, 7, 8, 9, 0, time.FixedZone("", 2*3600))

	uid, err := e.Deliverer.Deliver(ctx, "bob", "inbox", strings.NewReader(msg), []string{`\seen`, `\Recent`, "$Label", `\SEEN`}, date, false)
	if err != nil || uid != 1 {
		t.Fatalf("deliver: uid %d, %v", uid, err)
	}
	recs := e.Messages(t, "bob", "INBOX")
	if len(recs) != 1 {
		t.Fatalf("%d messages", len(recs))
	}
	r := recs[0]
	if got := r.State.Flags; !reflect.DeepEqual(got, []string{`\Seen`, "$Label"}) && !reflect.DeepEqual(got, []string{"$Label", `\Seen`}) {
		t.Errorf("flags %q", got)
	}
	if r.Meta.InternalDate != date.Unix() || r.Meta.InternalDateZone != 7200 || r.Meta.Subject != "hello" || r.Meta.Size != uint64(len(msg)) {
		t.Errorf("meta: date %d zone %d subject %q size %d", r.Meta.InternalDate, r.Meta.InternalDateZone, r.Meta.Subject, r.Meta.Size)
	}
	body, err := e.Blobs.Open(ctx, r.Meta.BlobId, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(body)
	body.Close()
	if string(got) != msg {
		t.Errorf("stored body %q", got)
	}

	// Prepare once, append to two users: one body file.
	p, err := e.Deliverer.Prepare(ctx, strings.NewReader(msg+"more\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"bob", "carol"} {
		if _, err := p.AppendTo(ctx, u, "INBOX", nil, time.Time{}, false); err != nil {
			t.Fatalf("append to %s: %v", u, err)
		}
	}
	if n := e.BlobFiles(t); n != 2 {
		t.Errorf("%d blob files, want 2", n)
	}
	// skip_duplicate: the same body again reports the existing UID.
	if a, err := p.Append(ctx, "carol", "INBOX", nil, time.Time{}, true); err != nil || a.UID != 1 || !a.Duplicate || a.UIDValidity == 0 {
		t.Errorf("duplicate: %+v, %v", a, err)
	}
	if a, err := p.Append(ctx, "carol", "Trash", nil, time.Time{}, true); err != nil || a.UID != 1 || a.Duplicate {
		t.Errorf("first copy in another mailbox: %+v, %v", a, err)
	}
	if n := len(e.Messages(t, "carol", "INBOX")); n != 1 {
		t.Errorf("carol has %d messages after a skipped duplicate", n)
	}
}

func TestDeliverErrors(t *testing.T) {
	ctx := context.Background()
	e := delivertest.New(t)
	e.AddUser(t, "bob")
	d := *e.Deliverer
	d.MaxSize = 100

	for _, tc := range []struct {
		name          string
		user, mailbox string
		body          io.Reader
		flags         []string
		want          error
	}{
		{"too big", "bob", "INBOX", strings.NewReader(strings.Repeat("x", 101)), nil, base.ErrTooBig},
		{"no such user", "nobody", "INBOX", strings.NewReader(msg[:50]), nil, base.ErrNoSuchUser},
		{"no such mailbox", "bob", "Nope", strings.NewReader(msg[:50]), nil, base.ErrNoSuchMailbox},
		{"bad flag", "bob", "INBOX", strings.NewReader(msg[:50]), []string{`\Bogus`}, base.ErrInvalidArgument},
		{"reader fails", "bob", "INBOX", io.MultiReader(strings.NewReader("x"), errReader{}), nil, errBoom},
	} {
		_, err := d.Deliver(ctx, tc.user, tc.mailbox, tc.body, tc.flags, time.Time{}, false)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := len(e.Messages(t, "bob", "INBOX")); n != 0 {
		t.Errorf("%d messages after failures", n)
	}
	// Exactly the limit is fine.
	if _, err := d.Deliver(ctx, "bob", "INBOX", strings.NewReader(strings.Repeat("y", 100)), nil, time.Time{}, false); err != nil {
		t.Errorf("message of exactly MaxSize: %v", err)
	}
}

var errBoom = errors.New("boom")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBoom }

// TestDeliverLarge goes through the file spool (over 1 MiB) and checks that
// the body survives byte for byte and the spool file is removed.
func TestDeliverLarge(t *testing.T) {
	ctx := context.Background()
	e := delivertest.New(t)
	e.AddUser(t, "bob")
	big := []byte("Subject: big\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 100_000))
	d := *e.Deliverer
	d.TempDir = t.TempDir()
	if _, err := d.Deliver(ctx, "bob", "INBOX", bytes.NewReader(big), nil, time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(d.TempDir); len(left) != 0 {
		t.Errorf("spool files left behind: %v", left)
	}
	r := e.Messages(t, "bob", "INBOX")[0]
	if r.Meta.Size != uint64(len(big)) || r.Meta.Part.GetLines() != 100_000 {
		t.Errorf("size %d lines %d", r.Meta.Size, r.Meta.Part.GetLines())
	}
	rc, err := e.Blobs.Open(ctx, r.Meta.BlobId, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, big) {
		t.Error("large body differs")
	}
}

// TestMultiAppend commits two prepared bodies in one Append, as IMAP
// MULTIAPPEND does.
func TestMultiAppend(t *testing.T) {
	ctx := context.Background()
	e := delivertest.New(t)
	e.AddUser(t, "bob")
	var msgs []*metadatapb.NewMessage
	for _, body := range []string{msg, msg + "x\r\n"} {
		p, err := e.Deliverer.Prepare(ctx, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, p.NewMessage([]string{`\flagged`}, time.Unix(1234567890, 0), false))
	}
	mb, err := e.Client.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: "bob", Name: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.Client.Append(ctx, &metadatapb.AppendRequest{User: "bob", MailboxId: mb.Id, Messages: msgs})
	if err != nil || len(resp.Uids) != 2 {
		t.Fatalf("append: %v %v", resp, err)
	}
	recs := e.Messages(t, "bob", "INBOX")
	if len(recs) != 2 || recs[1].Meta.InternalDate != 1234567890 || recs[1].State.Flags[0] != `\Flagged` || recs[0].Meta.SaveDate == 0 {
		t.Errorf("records %v", recs)
	}
}

func TestCanonicalFlags(t *testing.T) {
	got := deliver.CanonicalFlags([]string{`\flagged`, "", `\RECENT`, "Foo", `\Flagged`, `\draft`})
	want := []string{`\Flagged`, "Foo", `\Draft`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}
