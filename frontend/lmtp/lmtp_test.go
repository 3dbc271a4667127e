package lmtp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"google.golang.org/grpc"

	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/frontend/deliver/delivertest"
	"github.com/postbus/postbus/frontend/lmtp"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// failing wraps a metadata client so that appends for some users fail
// with a given sentinel (quotas do not exist yet; this is how the reply
// mapping is checked).
type failing struct {
	metadatapb.MetadataClient
	fail map[string]error
}

func (f failing) Append(ctx context.Context, in *metadatapb.AppendRequest, opts ...grpc.CallOption) (*metadatapb.AppendResponse, error) {
	if err := f.fail[in.User]; err != nil {
		return nil, metadatapb.ToStatus(err)
	}
	return f.MetadataClient.Append(ctx, in, opts...)
}

type testServer struct {
	env  *delivertest.Env
	addr string
	net  string
}

func start(t *testing.T, network string, maxSize int64, fail map[string]error) *testServer {
	t.Helper()
	e := delivertest.New(t)
	d := &deliver.Deliverer{Metadata: failing{e.Client, fail}, Blobs: e.Blobs, MaxSize: maxSize}
	srv, err := lmtp.New(lmtp.Config{Deliverer: d, Hostname: "mx.test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var l net.Listener
	if network == "unix" {
		l, err = net.Listen("unix", filepath.Join(t.TempDir(), "lmtp.sock"))
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return &testServer{env: e, addr: l.Addr().String(), net: network}
}

func (s *testServer) client(t *testing.T) *smtp.Client {
	t.Helper()
	conn, err := net.Dial(s.net, s.addr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	return c
}

const testMsg = "From: sender@example.net\r\nTo: list@example.org\r\nSubject: LMTP test\r\n\r\nHello.\r\n"

// send runs one transaction and returns the RCPT errors and the
// per-recipient DATA replies (nil: 250).
func send(t *testing.T, c *smtp.Client, body string, rcpts ...string) (rcptErr map[string]error, dataErr map[string]*smtp.SMTPError) {
	t.Helper()
	if err := c.Mail("sender@example.net", nil); err != nil {
		t.Fatal(err)
	}
	rcptErr = map[string]error{}
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			rcptErr[r] = err
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, body); err != nil {
		t.Fatal(err)
	}
	_, err = w.CloseWithLMTPResponse()
	var lerr smtp.LMTPDataError
	if err != nil && !errors.As(err, &lerr) {
		t.Fatalf("DATA: %v", err)
	}
	return rcptErr, lerr
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func enhanced(err error) smtp.EnhancedCode {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.EnhancedCode
	}
	return smtp.EnhancedCode{}
}

func TestDeliverToSeveralRecipients(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			s := start(t, network, 0, nil)
			ctx := context.Background()
			e := s.env
			e.AddUser(t, "alice")
			e.AddUser(t, "bob")
			e.AddUser(t, "carol@example.org")
			if _, err := e.Client.CreateMailbox(ctx, &metadatapb.CreateMailboxRequest{User: "alice", Name: "Lists/Go"}); err != nil {
				t.Fatal(err)
			}
			c := s.client(t)
			rcptErr, dataErr := send(t, c, testMsg,
				"alice+lists/go@example.org", // detail, matched case-insensitively
				"nobody@example.org",         // unknown
				"bob+NoSuchFolder@other.test",
				"carol@example.org", // user named by the whole address
				"alice@example.org", // alice twice: INBOX
			)
			if len(rcptErr) != 1 || code(rcptErr["nobody@example.org"]) != 550 || enhanced(rcptErr["nobody@example.org"]) != (smtp.EnhancedCode{5, 1, 1}) {
				t.Errorf("RCPT errors: %v", rcptErr)
			}
			if len(dataErr) != 0 {
				t.Errorf("DATA errors: %v", dataErr)
			}
			for _, want := range []struct {
				user, mailbox string
				n             int
			}{{"alice", "Lists/Go", 1}, {"alice", "INBOX", 1}, {"bob", "INBOX", 1}, {"carol@example.org", "INBOX", 1}} {
				recs := e.Messages(t, want.user, want.mailbox)
				if len(recs) != want.n {
					t.Errorf("%s %s: %d messages, want %d", want.user, want.mailbox, len(recs), want.n)
					continue
				}
				if recs[0].Meta.Subject != "LMTP test" {
					t.Errorf("%s %s: subject %q", want.user, want.mailbox, recs[0].Meta.Subject)
				}
			}
			if n := e.BlobFiles(t); n != 1 {
				t.Errorf("%d blob files for one message to four mailboxes", n)
			}
			// A second transaction on the same connection works.
			if _, dataErr := send(t, c, testMsg+"again\r\n", "bob@x"); len(dataErr) != 0 {
				t.Errorf("second transaction: %v", dataErr)
			}
			if n := len(e.Messages(t, "bob", "INBOX")); n != 2 {
				t.Errorf("bob has %d messages", n)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	s := start(t, "tcp", 4000, map[string]error{"full": base.ErrOverQuota, "flaky": base.ErrUnavailable})
	e := s.env
	for _, u := range []string{"ok", "full", "flaky"} {
		e.AddUser(t, u)
	}
	c := s.client(t)

	// Per-recipient outcomes in one transaction.
	_, dataErr := send(t, c, testMsg, "full@x", "ok@x", "flaky@x")
	if code(dataErr["full@x"]) != 452 || enhanced(dataErr["full@x"]) != (smtp.EnhancedCode{4, 2, 2}) {
		t.Errorf("over quota: %v", dataErr["full@x"])
	}
	if code(dataErr["flaky@x"]) != 451 {
		t.Errorf("unavailable: %v", dataErr["flaky@x"])
	}
	if _, bad := dataErr["ok@x"]; bad {
		t.Errorf("ok@x refused: %v", dataErr["ok@x"])
	}
	if n := len(e.Messages(t, "ok", "INBOX")); n != 1 {
		t.Errorf("ok has %d messages", n)
	}

	// Oversized: every recipient gets 552 5.3.4, nothing is stored.
	before := e.BlobFiles(t)
	_, dataErr = send(t, c, testMsg+strings.Repeat(strings.Repeat("x", 98)+"\r\n", 50), "ok@x")
	if code(dataErr["ok@x"]) != 552 || enhanced(dataErr["ok@x"]) != (smtp.EnhancedCode{5, 3, 4}) {
		t.Errorf("oversized: %v", dataErr)
	}
	if n := len(e.Messages(t, "ok", "INBOX")); n != 1 || e.BlobFiles(t) != before {
		t.Errorf("oversized message stored: %d messages, %d blobs", n, e.BlobFiles(t))
	}
	// A line longer than go-smtp's default limit (2000) is accepted.
	long := testMsg + strings.Repeat("y", 3000) + "\r\n"
	if _, dataErr := send(t, c, long, "ok@x"); len(dataErr) != 0 {
		t.Errorf("3000-octet line: %v", dataErr)
	}
	// The SIZE parameter of MAIL is checked up front (RFC 1870).
	if err := c.Mail("a@b", &smtp.MailOptions{Size: 5000}); code(err) != 552 {
		t.Errorf("MAIL SIZE=5000: %v", err)
	}
	c.Reset()
	// An MTA retrying the same queue file gets 250 and no second copy.
	if _, dataErr := send(t, c, testMsg, "ok@x"); len(dataErr) != 0 {
		t.Errorf("retry: %v", dataErr)
	}
	if n := len(e.Messages(t, "ok", "INBOX")); n != 2 {
		t.Errorf("retry made %d messages, want 2 (the first and the long-line one)", n)
	}
}

func TestNewRequiresDeliverer(t *testing.T) {
	if _, err := lmtp.New(lmtp.Config{}); !errors.Is(err, lmtp.ErrConfig) {
		t.Errorf("New without Deliverer: %v", err)
	}
}
