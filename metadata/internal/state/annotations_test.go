package state

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/postbus/postbus/proto/metadatapb"
)

// runAnnotation runs the annotation commands of the datadriven scripts
// (testdata/annotations.txt):
//
//	setmeta [mbox=NAME | server]     input: one "entry value" per line;
//	                                 value NIL deletes, x*N is N octets "x",
//	                                 a Go-quoted value may hold any octet
//	getmeta [mbox=(A,B) | server] [depth=0|1|infinity] [maxsize=N] [skip]
//	                                 input: one entry name per line
//	annousage                        the user's annotation usage record
func runAnnotation(t *testing.T, s *Store, d *datadriven.TestData, user string) (string, error) {
	var b strings.Builder
	switch d.Cmd {
	case "setmeta":
		req := &metadatapb.SetMetadataRequest{User: user, Mailbox: arg(d, "mbox", "INBOX")}
		if d.HasArg("server") {
			req.Mailbox = ""
		}
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			name, val, _ := strings.Cut(line, " ")
			req.Entries = append(req.Entries, parseValue(t, d, name, val))
		}
		resp, err := s.SetMetadata(req)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s maxsize=%d\n", resp.Refusal, resp.MaxSize)
		return b.String(), nil
	case "getmeta":
		req := &metadatapb.GetMetadataRequest{User: user, Mailboxes: argList(d, "mbox"), SkipMissing: d.HasArg("skip")}
		if d.HasArg("server") {
			req.Mailboxes = []string{""}
		} else if len(req.Mailboxes) == 0 {
			req.Mailboxes = []string{"INBOX"}
		}
		switch arg(d, "depth", "0") {
		case "1":
			req.Depth = metadatapb.MetadataDepth_METADATA_DEPTH_1
		case "infinity":
			req.Depth = metadatapb.MetadataDepth_METADATA_DEPTH_INFINITY
		}
		if d.HasArg("maxsize") {
			req.HasMaxSize, req.MaxSize = true, uint64(argInt(t, d, "maxsize", 0))
		}
		req.Entries = strings.Fields(d.Input)
		resp, err := s.GetMetadata(req)
		if err != nil {
			return "", err
		}
		for _, mm := range resp.Mailboxes {
			fmt.Fprintf(&b, "%q:\n", mm.Mailbox)
			for _, e := range mm.Entries {
				fmt.Fprintf(&b, "  %s %s\n", e.Name, fmtValue(e))
			}
		}
		fmt.Fprintf(&b, "longest-skipped=%d\n", resp.LongestSkipped)
		return b.String(), nil
	case "annousage":
		err := s.read(user, func(v *view) error {
			u, err := v.annotationUsage()
			fmt.Fprintf(&b, "entries=%d bytes=%d\n", u.Entries, u.Bytes)
			return err
		})
		return b.String(), err
	}
	t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	return "", nil
}

func parseValue(t *testing.T, d *datadriven.TestData, name, val string) *metadatapb.MetadataEntry {
	e := &metadatapb.MetadataEntry{Name: name}
	switch {
	case val == "NIL":
		e.Nil = true
	case strings.HasPrefix(val, "x*"):
		n, err := strconv.Atoi(val[2:])
		if err != nil {
			t.Fatalf("%s: bad size %q", d.Pos, val)
		}
		e.Value = []byte(strings.Repeat("x", n))
	case strings.HasPrefix(val, `"`):
		s, err := strconv.Unquote(val)
		if err != nil {
			t.Fatalf("%s: bad quoted value %q", d.Pos, val)
		}
		e.Value = []byte(s)
	default:
		e.Value = []byte(val)
	}
	return e
}

func fmtValue(e *metadatapb.MetadataEntry) string {
	if e.Nil {
		return "NIL"
	}
	if len(e.Value) > 40 {
		return fmt.Sprintf("<%d octets>", len(e.Value))
	}
	return strconv.Quote(string(e.Value))
}

// TestAnnotationLimits fills the per-mailbox, per-user count and per-user
// octet limits: growth past one is refused with TOOMANY and writes
// nothing; replacing or deleting is still allowed at a limit.
func TestAnnotationLimits(t *testing.T) {
	s := testStore(t, nil)
	if err := s.CreateUser("bob", "hash", 1000); err != nil {
		t.Fatal(err)
	}
	set := func(mbox string, entries ...*metadatapb.MetadataEntry) metadatapb.MetadataRefusal {
		t.Helper()
		resp, err := s.SetMetadata(&metadatapb.SetMetadataRequest{User: "bob", Mailbox: mbox, Entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Refusal
	}
	val := func(name string, n int) *metadatapb.MetadataEntry {
		return &metadatapb.MetadataEntry{Name: name, Value: []byte(strings.Repeat("v", n))}
	}
	usage := func() (u [2]uint64) {
		s.read("bob", func(v *view) error {
			got, err := v.annotationUsage()
			u = [2]uint64{got.Entries, got.Bytes}
			return err
		})
		return u
	}
	ok, tooMany := metadatapb.MetadataRefusal_METADATA_OK, metadatapb.MetadataRefusal_METADATA_TOOMANY

	// Per mailbox: MaxMailboxAnnotations entries fit, one more does not.
	var batch []*metadatapb.MetadataEntry
	for i := range MaxMailboxAnnotations {
		batch = append(batch, val(fmt.Sprintf("/private/e%d", i), 1))
	}
	if got := set("INBOX", batch...); got != ok {
		t.Fatalf("filling INBOX: %v", got)
	}
	before := usage()
	if got := set("INBOX", val("/private/one-more", 1)); got != tooMany {
		t.Fatalf("entry %d: %v, want TOOMANY", MaxMailboxAnnotations+1, got)
	}
	if usage() != before {
		t.Fatalf("refused set changed usage: %v → %v", before, usage())
	}
	// At the limit, replacing and swapping (delete one, add one) work.
	if got := set("INBOX", val("/private/e0", 10), &metadatapb.MetadataEntry{Name: "/private/e1", Nil: true}, val("/private/new", 1)); got != ok {
		t.Fatalf("replace at the limit: %v", got)
	}
	// The server has its own per-"mailbox" limit.
	if got := set("", val("/private/server", 1)); got != ok {
		t.Fatalf("server entry: %v", got)
	}

	// Per user (count): spread over mailboxes until MaxUserAnnotations.
	for i := 0; usage()[0] < MaxUserAnnotations; i++ {
		name := fmt.Sprintf("box%d", i)
		if _, err := s.CreateMailbox("bob", name, "", 1000); err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
		for j := 0; j < MaxMailboxAnnotations && usage()[0]+uint64(len(batch)) < MaxUserAnnotations; j++ {
			batch = append(batch, val(fmt.Sprintf("/private/e%d", j), 1))
		}
		if got := set(name, batch...); got != ok {
			t.Fatalf("filling %s: %v", name, got)
		}
	}
	if _, err := s.CreateMailbox("bob", "spare", "", 1000); err != nil {
		t.Fatal(err)
	}
	if got := set("spare", val("/private/x", 1)); got != tooMany {
		t.Fatalf("entry %d of the user: %v, want TOOMANY", MaxUserAnnotations+1, got)
	}

	// Per user (octets): a fresh user fills MaxUserAnnotationBytes with
	// large values; the next octet is refused, and so is growing a value.
	if err := s.CreateUser("carol", "hash", 1000); err != nil {
		t.Fatal(err)
	}
	setC := func(entries ...*metadatapb.MetadataEntry) metadatapb.MetadataRefusal {
		t.Helper()
		resp, err := s.SetMetadata(&metadatapb.SetMetadataRequest{User: "carol", Mailbox: "INBOX", Entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Refusal
	}
	name := func(i int) string { return fmt.Sprintf("/private/b%02d", i) } // 12 octets
	per := MaxAnnotationValue
	n := MaxUserAnnotationBytes / (12 + per)
	for i := range n {
		if got := setC(val(name(i), per)); got != ok {
			t.Fatalf("value %d: %v", i, got)
		}
	}
	rest := MaxUserAnnotationBytes - n*(12+per) - 12
	if got := setC(val(name(n), rest)); got != ok {
		t.Fatalf("last octets: %v", got)
	}
	if got := setC(val(name(n+1), 0)); got != tooMany {
		t.Fatalf("past the octet limit: %v, want TOOMANY", got)
	}
	if got := setC(val(name(n), rest+1)); got != tooMany {
		t.Fatalf("growing a value past the octet limit: %v, want TOOMANY", got)
	}
	if got := setC(val(name(n), rest-1)); got != ok {
		t.Fatalf("shrinking a value: %v", got)
	}
}

// TestAnnotationsGoWithUser: deleting a user drops its annotations (a new
// user of the same name starts without), and export/import carries them.
func TestAnnotationsGoWithUser(t *testing.T) {
	s := testStore(t, nil)
	get := func(user, mbox string) string {
		t.Helper()
		resp, err := s.GetMetadata(&metadatapb.GetMetadataRequest{User: user, Mailboxes: []string{mbox}, Entries: []string{"/private/comment"}})
		if err != nil {
			t.Fatal(err)
		}
		return fmtValue(resp.Mailboxes[0].Entries[0])
	}
	if err := s.CreateUser("bob", "hash", 1000); err != nil {
		t.Fatal(err)
	}
	for _, mbox := range []string{"", "Sent"} {
		_, err := s.SetMetadata(&metadatapb.SetMetadataRequest{User: "bob", Mailbox: mbox,
			Entries: []*metadatapb.MetadataEntry{{Name: "/private/comment", Value: []byte("hi " + mbox)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	var keys []UserKV
	sum, err := s.ExportUser("bob", func(kv UserKV) error { keys = append(keys, kv); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ImportUser("bob2", keys, sum); err != nil {
		t.Fatal(err)
	}
	if got := get("bob2", "Sent") + get("bob2", ""); got != `"hi Sent""hi "` {
		t.Fatalf("imported annotations: %s", got)
	}
	if err := s.DeleteUser("bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser("bob", "hash", 2000); err != nil {
		t.Fatal(err)
	}
	if got := get("bob", "Sent") + get("bob", ""); got != "NILNIL" {
		t.Fatalf("recreated user inherits annotations: %s", got)
	}
}
