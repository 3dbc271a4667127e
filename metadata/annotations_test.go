package metadata

import (
	"context"
	"strings"
	"testing"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// TestMetadataRPC drives annotations through the gRPC service: errors keep
// their sentinels across the wire, limits come back as refusals, and the
// annotations move with a user exported to another node.
func TestMetadataRPC(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	e.createUser(t, "bob")
	e.createUser(t, "alice")
	set := func(user, mbox string, entries ...*metadatapb.MetadataEntry) (*metadatapb.SetMetadataResponse, error) {
		return c.SetMetadata(ctx, &metadatapb.SetMetadataRequest{User: user, Mailbox: mbox, Entries: entries})
	}
	get := func(user string, mboxes []string, entries ...string) (*metadatapb.GetMetadataResponse, error) {
		return c.GetMetadata(ctx, &metadatapb.GetMetadataRequest{User: user, Mailboxes: mboxes, Entries: entries})
	}
	comment := &metadatapb.MetadataEntry{Name: "/private/comment", Value: []byte("bin\x00ary")}

	resp := must(set("bob", "Sent", comment))
	if resp.Refusal != metadatapb.MetadataRefusal_METADATA_OK || resp.MaxSize != 64<<10 {
		t.Fatalf("set: %v", resp)
	}
	got := must(get("bob", []string{"Sent"}, "/PRIVATE/comment"))
	if len(got.Mailboxes) != 1 || got.Mailboxes[0].Mailbox != "Sent" || string(got.Mailboxes[0].Entries[0].Value) != "bin\x00ary" {
		t.Fatalf("get: %v", got)
	}
	// alice sees nothing of bob's.
	if got := must(get("alice", []string{"Sent"}, "/private/comment")); !got.Mailboxes[0].Entries[0].Nil {
		t.Fatalf("alice reads bob's annotation: %v", got)
	}

	_, err := get("bob", []string{"Nope"}, "/private/comment")
	isErr(t, err, base.ErrNoSuchMailbox)
	_, err = get("nobody", []string{""}, "/private/comment")
	isErr(t, err, base.ErrNoSuchUser)
	_, err = get("bob", []string{"Sent"}, "/private/*")
	isErr(t, err, base.ErrInvalidArgument)
	_, err = set("bob", "", &metadatapb.MetadataEntry{Name: "/shared/admin", Value: []byte("mailto:x@example.com")})
	isErr(t, err, base.ErrInvalidArgument)
	_, err = get("bob", []string{"Sent"}, strings.Split(strings.Repeat("/private/x ", maxMetadataEntries+1), " ")[:maxMetadataEntries+1]...)
	isErr(t, err, base.ErrInvalidArgument)
	big := &metadatapb.MetadataEntry{Name: "/private/big", Value: make([]byte, 64<<10+1)}
	if resp := must(set("bob", "Sent", big)); resp.Refusal != metadatapb.MetadataRefusal_METADATA_MAXSIZE {
		t.Fatalf("oversized value: %v", resp)
	}

	// Export to a second node as carol: the annotations travel.
	other := serve(t, openNode(t, t.TempDir(), 16))
	if _, err := moveUser(t, adminClient(t, e.node), adminClient(t, other.node), "bob", "carol", nil); err != nil {
		t.Fatal(err)
	}
	moved, err := other.client.GetMetadata(ctx, &metadatapb.GetMetadataRequest{User: "carol", Mailboxes: []string{"Sent"}, Entries: []string{"/private/comment"}})
	if err != nil || string(moved.Mailboxes[0].Entries[0].Value) != "bin\x00ary" {
		t.Fatalf("moved annotation: %v, %v", moved, err)
	}
}
