package frontend

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postbus/postbus/proto/metadatapb"
)

func (e *env) setQuota(t *testing.T, user string, kib, msgs uint64) {
	t.Helper()
	_, err := e.md.SetQuota(context.Background(), &metadatapb.SetQuotaRequest{User: user, StorageLimitKib: kib, MessageLimit: msgs})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQuotaClient drives QUOTA through go-imap v2's client: capabilities,
// GETQUOTAROOT with and without limits, GETQUOTA, SETQUOTA refused, and
// an APPEND over quota failing with OVERQUOTA.
func TestQuotaClient(t *testing.T) {
	e := newEnv(t)
	c := e.client(t, nil)
	caps, err := c.Capability().Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Has(imap.CapQuota) || caps.Has(imap.CapQuotaSet) {
		t.Errorf("capabilities: %v", caps)
	}
	if got := caps.QuotaResourceTypes(); !reflect.DeepEqual(got, []imap.QuotaResourceType{imap.QuotaResourceStorage, imap.QuotaResourceMessage}) &&
		!reflect.DeepEqual(got, []imap.QuotaResourceType{imap.QuotaResourceMessage, imap.QuotaResourceStorage}) {
		t.Errorf("resource types: %v", got)
	}

	roots, err := c.GetQuotaRoot("INBOX").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 1 || roots[0].Root != "" || len(roots[0].Resources) != 0 {
		t.Fatalf("GETQUOTAROOT without limits: %+v", roots)
	}

	e.setQuota(t, testUser, 1, 10)
	appendMsg(t, c, "INBOX", "Subject: q\r\n\r\n"+strings.Repeat("x", 500)+"\r\n")
	q, err := c.GetQuota("").Wait()
	if err != nil {
		t.Fatal(err)
	}
	want := map[imap.QuotaResourceType]imapclient.QuotaResourceData{
		imap.QuotaResourceStorage: {Usage: 1, Limit: 1},
		imap.QuotaResourceMessage: {Usage: 1, Limit: 10},
	}
	if q.Root != "" || !reflect.DeepEqual(q.Resources, want) {
		t.Errorf("GETQUOTA: %+v", q)
	}

	msg := "Subject: big\r\n\r\n" + strings.Repeat("y", 600) + "\r\n"
	cmd := c.Append("INBOX", int64(len(msg)), nil)
	if _, err := cmd.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = cmd.Wait()
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo || ie.Code != imap.ResponseCodeOverQuota {
		t.Fatalf("APPEND over quota: %v", err)
	}

	err = c.SetQuota("", map[imap.QuotaResourceType]int64{imap.QuotaResourceStorage: 100}).Wait()
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeNoPerm {
		t.Errorf("SETQUOTA: %v", err)
	}
}

// TestQuotaTranscript checks the exact responses and that refused
// commands store nothing: APPEND and MULTIAPPEND over quota, COPY over
// quota, MOVE at the limit (free), EXPUNGE releasing usage.
func TestQuotaTranscript(t *testing.T) {
	e := newEnv(t)
	r := e.rawTLS(t)
	r.expect("a0", `GETQUOTA ""`, "BAD") // not authenticated
	r.login()

	u := r.expect("a1", "GETQUOTAROOT inbox", "OK")
	if !reflect.DeepEqual(u, []string{`* QUOTAROOT INBOX ""`, `* QUOTA "" ()`}) {
		t.Errorf("GETQUOTAROOT without limits: %q", u)
	}
	// Any name, existing or not, has the root "" (RFC 9208 §4.1.2).
	u = r.expect("a2", `GETQUOTAROOT "Not There"`, "OK")
	if len(u) != 2 || u[0] != `* QUOTAROOT "Not There" ""` {
		t.Errorf("GETQUOTAROOT of a missing mailbox: %q", u)
	}
	r.expect("a3", `GETQUOTA "#user/alice"`, "NO [NONEXISTENT]")
	r.expect("a4", `SETQUOTA "" (STORAGE 100)`, "NO [NOPERM]")

	e.setQuota(t, testUser, 2, 2)
	body := "Subject: a\r\n\r\n" + strings.Repeat("a", 1500-16) + "\r\n" // 1500 octets
	appendLit := func(tag, box string, msgs ...string) string {
		line := tag + " APPEND " + box
		for _, m := range msgs {
			line += " {" + itoa(len(m)) + "+}\r\n" + m
		}
		r.send(line + "\r\n")
		_, tagged := r.until(tag)
		return tagged
	}
	if got := appendLit("b1", "INBOX", body); !strings.HasPrefix(got, "b1 OK") {
		t.Fatalf("APPEND within quota: %q", got)
	}
	u = r.expect("b2", `GETQUOTA ""`, "OK")
	if !reflect.DeepEqual(u, []string{`* QUOTA "" (STORAGE 2 2 MESSAGE 1 2)`}) {
		t.Errorf("GETQUOTA: %q", u)
	}
	// 1500 + 600 octets is 3 KiB: over the STORAGE limit.
	if got := appendLit("b3", "INBOX", strings.Repeat("b", 600)); !strings.HasPrefix(got, "b3 NO [OVERQUOTA]") {
		t.Errorf("APPEND over storage: %q", got)
	}
	// Two small messages: the second would be over MESSAGE, so neither is
	// stored (MULTIAPPEND is atomic, RFC 3502 §6.3.11).
	if got := appendLit("b4", "INBOX", "Subject: 1\r\n\r\n1\r\n", "Subject: 2\r\n\r\n2\r\n"); !strings.HasPrefix(got, "b4 NO [OVERQUOTA]") {
		t.Errorf("MULTIAPPEND over messages: %q", got)
	}
	u = r.expect("b5", "STATUS INBOX (MESSAGES SIZE)", "OK")
	if !reflect.DeepEqual(u, []string{"* STATUS INBOX (MESSAGES 1 SIZE 1500)"}) {
		t.Errorf("after refused APPENDs: %q", u)
	}

	r.expect("c1", "SELECT INBOX", "OK")
	r.expect("c2", "COPY 1 Archive", "NO [OVERQUOTA]")
	u = r.expect("c3", "STATUS Archive (MESSAGES)", "OK")
	if !reflect.DeepEqual(u, []string{"* STATUS Archive (MESSAGES 0)"}) {
		t.Errorf("after refused COPY: %q", u)
	}
	// MOVE keeps the usage: allowed at the limit.
	r.expect("c4", "MOVE 1 Archive", "OK")
	u = r.expect("c5", `GETQUOTAROOT Archive`, "OK")
	if !reflect.DeepEqual(u, []string{`* QUOTAROOT Archive ""`, `* QUOTA "" (STORAGE 2 2 MESSAGE 1 2)`}) {
		t.Errorf("after MOVE: %q", u)
	}

	r.expect("d1", "SELECT Archive", "OK")
	r.expect("d2", `STORE 1 +FLAGS.SILENT (\Deleted)`, "OK")
	// RFC 9208 §4.1.4: what an EXPUNGE would reclaim, also in LIST-STATUS.
	u = r.expect("d2a", "STATUS Archive (DELETED DELETED-STORAGE MESSAGES)", "OK")
	if !reflect.DeepEqual(u, []string{"* STATUS Archive (DELETED 1 DELETED-STORAGE 1500 MESSAGES 1)"}) {
		t.Errorf("STATUS DELETED-STORAGE: %q", u)
	}
	u = r.expect("d2b", `LIST "" "INBOX" RETURN (STATUS (DELETED-STORAGE))`, "OK")
	if !containsLine(u, "* STATUS INBOX (DELETED-STORAGE 0)") {
		t.Errorf("LIST-STATUS DELETED-STORAGE: %q", u)
	}
	r.expect("d3", "EXPUNGE", "OK")
	u = r.expect("d4", `GETQUOTA ""`, "OK")
	if !reflect.DeepEqual(u, []string{`* QUOTA "" (STORAGE 0 2 MESSAGE 0 2)`}) {
		t.Errorf("after EXPUNGE: %q", u)
	}
	if got := appendLit("d5", "INBOX", strings.Repeat("c", 600)); !strings.HasPrefix(got, "d5 OK") {
		t.Errorf("APPEND after EXPUNGE: %q", got)
	}

	// Only the MESSAGE limit: STORAGE is not listed.
	e.setQuota(t, testUser, 0, 5)
	u = r.expect("e1", `GETQUOTA ""`, "OK")
	if !reflect.DeepEqual(u, []string{`* QUOTA "" (MESSAGE 1 5)`}) {
		t.Errorf("message limit only: %q", u)
	}
}
