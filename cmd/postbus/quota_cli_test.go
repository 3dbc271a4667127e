package main

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"
)

// TestUserQuotaLMTP sets a quota with `postbus user quota` against a
// running `postbus serve`, then delivers over LMTP: once the user is over
// quota their recipient gets 452 4.2.2 while another recipient of the
// same transaction gets 250. The limits survive a restart and can be
// changed offline.
func TestUserQuotaLMTP(t *testing.T) {
	s, fields := startServerReady(t, "--lmtp-addr", "127.0.0.1:0")
	addUser(t, s.data, "alice", "pw-a")
	addUser(t, s.data, "bob", "pw-b")

	quota := func(args ...string) string {
		t.Helper()
		out, errOut, code := postbusCmd(t, "", append([]string{"user", "quota"}, append(args, "--data", s.data)...)...)
		if code != 0 {
			t.Fatalf("user quota %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
		return out
	}
	if out := quota("alice"); !strings.Contains(out, "storage:  0 KiB used (0 octets), limit unlimited") ||
		!strings.Contains(out, "messages: 0 used, limit unlimited") {
		t.Errorf("initial quota:\n%s", out)
	}
	if out := quota("alice", "--storage", "2K"); !strings.Contains(out, "limit 2 KiB") || !strings.Contains(out, "messages: 0 used, limit unlimited") {
		t.Errorf("after --storage 2K:\n%s", out)
	}
	for _, bad := range [][]string{{"alice", "--storage", "12X"}, {"alice", "--messages", "-1"}, {"nobody"}, {}} {
		out, errOut, code := postbusCmd(t, "", append([]string{"user", "quota"}, append(bad, "--data", s.data)...)...)
		if code == 0 {
			t.Errorf("user quota %v: exit 0\n%s", bad, out)
		}
		if len(bad) == 1 && !strings.Contains(errOut, "nobody does not exist") {
			t.Errorf("user quota nobody: %q", errOut)
		}
	}

	// ~1300 octets stored: the first delivery fits in 2 KiB, a second
	// one does not.
	msg := lmtpMessage + strings.Repeat(strings.Repeat("q", 98)+"\r\n", 12)
	rcptErr, dataErr := lmtpSend(t, "tcp", fields["lmtp"], msg, "alice@example.org", "bob@example.org")
	if len(rcptErr) != 0 || len(dataErr) != 0 {
		t.Fatalf("first delivery: rcpt %v, data %v", rcptErr, dataErr)
	}
	rcptErr, dataErr = lmtpSend(t, "tcp", fields["lmtp"], strings.Replace(msg, "lmtp-1", "lmtp-2", 1), "alice@example.org", "bob@example.org")
	if len(rcptErr) != 0 {
		t.Fatalf("second delivery RCPT: %v", rcptErr)
	}
	if e := dataErr["alice@example.org"]; e == nil || e.Code != 452 || e.EnhancedCode != (smtp.EnhancedCode{4, 2, 2}) {
		t.Errorf("alice over quota: %v, want 452 4.2.2", e)
	}
	if e, refused := dataErr["bob@example.org"]; refused {
		t.Errorf("bob in the same transaction: %v, want 250", e)
	}

	// IMAP sees one message for alice, two for bob, and alice's quota.
	a := dial(t, s, "alice", "pw-a", nil)
	st, err := a.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || st.NumMessages == nil || *st.NumMessages != 1 {
		t.Errorf("alice INBOX: %+v, %v", st, err)
	}
	roots, err := a.GetQuotaRoot("INBOX").Wait()
	if err != nil || len(roots) != 1 {
		t.Fatalf("GETQUOTAROOT: %+v, %v", roots, err)
	}
	if r := roots[0].Resources[imap.QuotaResourceStorage]; r.Usage != 2 || r.Limit != 2 {
		t.Errorf("alice STORAGE: %+v", roots[0].Resources)
	}
	b := dial(t, s, "bob", "pw-b", nil)
	if st, err := b.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait(); err != nil || *st.NumMessages != 2 {
		t.Errorf("bob INBOX: %+v, %v", st, err)
	}
	if out := quota("alice"); !strings.Contains(out, "messages: 1 used, limit unlimited") {
		t.Errorf("after deliveries:\n%s", out)
	}

	// Offline (no admin socket): --messages keeps the storage limit.
	a.Close()
	b.Close()
	s.stop()
	if out := quota("alice", "--messages", "5"); !strings.Contains(out, "limit 2 KiB") || !strings.Contains(out, "messages: 1 used, limit 5") {
		t.Errorf("offline --messages 5:\n%s", out)
	}
	if out := quota("alice", "--storage", "0"); !strings.Contains(out, "limit unlimited\n  messages: 1 used, limit 5") {
		t.Errorf("offline --storage 0:\n%s", out)
	}
}
