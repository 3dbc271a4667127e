package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/cluster/clustertest"
	"github.com/postbus/postbus/proto/clusterpb"
	"github.com/postbus/postbus/proto/metadatapb"
)

// putEntry writes a shard entry as a controller would.
func putEntry(t *testing.T, cli *clientv3.Client, s uint32, e cluster.ShardEntry) {
	t.Helper()
	b, _ := json.Marshal(e)
	if _, err := cli.Put(context.Background(), fmt.Sprintf("/postbus/shards/%05d", s), string(b)); err != nil {
		t.Fatal(err)
	}
}

func blob(i int) string { return fmt.Sprintf("%064x", i+1) }

// TestHandoffResumesAfterRestart moves a shard by hand (no controller) to
// a node that does not exist yet: the owner fences the shard at once and
// keeps it fenced across its own restart; when the target appears the
// handoff completes, the data and UIDNEXT arrive intact, and the old copy
// goes.
func TestHandoffResumesAfterRestart(t *testing.T) {
	_, cli := clustertest.Etcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := cluster.EnsureShards(ctx, cli, "", 4); err != nil {
		t.Fatal(err)
	}
	for s := uint32(0); s < 4; s++ {
		putEntry(t, cli, s, cluster.ShardEntry{Owner: "a", Epoch: 1, State: cluster.StateActive})
	}
	noCtl := cluster.MemberOptions{NoController: true}
	a := clustertest.StartNode(t, cli, clustertest.Config{ID: "a", Shards: 4, Member: noCtl})
	if err := a.Member.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	const user = "mover"
	ca := client(t, a.Addr)
	if _, err := ca.CreateUser(ctx, &metadatapb.CreateUserRequest{User: user, Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	inbox, err := ca.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_, err := ca.Append(ctx, &metadatapb.AppendRequest{User: user, MailboxId: inbox.Id,
			Messages: []*metadatapb.NewMessage{{Meta: &metadatapb.MessageMeta{BlobId: blob(i), Size: 10}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	s := base.ShardOf(user, 4)
	putEntry(t, cli, s, cluster.ShardEntry{Owner: "a", Epoch: 1, State: cluster.StateMoving, Target: "b"})
	waitFenced := func(n *clustertest.Node) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); n.Member.Serving(s); {
			if time.Now().After(deadline) {
				t.Fatal("owner still serves a moving shard")
			}
			time.Sleep(10 * time.Millisecond)
		}
		_, err := client(t, n.Addr).GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: "INBOX"})
		if !errors.Is(metadatapb.FromStatus(err), base.ErrNotOwner) {
			t.Fatalf("request for a moving shard: %v, want ErrNotOwner", err)
		}
	}
	waitFenced(a)

	// Restart the owner mid-handoff: it stays fenced and keeps its data.
	dir := a.Dir
	a.Stop()
	a = clustertest.StartNode(t, cli, clustertest.Config{ID: "a", Dir: dir, Shards: 4, Member: noCtl})
	waitFenced(a)
	if has, _ := a.Node.ShardHasData(s); !has {
		t.Fatal("the owner dropped a shard it has not handed off")
	}

	b := clustertest.StartNode(t, cli, clustertest.Config{ID: "b", Shards: 4, Member: noCtl})
	err = b.Member.Map().WaitFor(ctx, func(m *cluster.ShardMap) bool {
		e, _ := m.Entry(s)
		return e.Owner == "b" && e.State == cluster.StateActive && e.Epoch == 2
	})
	if err != nil {
		t.Fatalf("handoff did not complete: %v", err)
	}
	cb := client(t, b.Addr)
	var sel *metadatapb.SelectResponse
	for deadline := time.Now().Add(10 * time.Second); ; {
		sel, err = cb.Select(ctx, &metadatapb.SelectRequest{User: user, MailboxId: inbox.Id})
		if err == nil || !errors.Is(metadatapb.FromStatus(err), base.ErrNotOwner) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || len(sel.Uids) != 3 || sel.Mailbox.UidNext != 4 {
		t.Fatalf("at the new owner: %v, %v; want UIDs 1-3 and UIDNEXT 4", sel, err)
	}
	resp, err := cb.Append(ctx, &metadatapb.AppendRequest{User: user, MailboxId: inbox.Id,
		Messages: []*metadatapb.NewMessage{{Meta: &metadatapb.MessageMeta{BlobId: blob(9), Size: 10}}}})
	if err != nil || resp.Uids[0] != 4 {
		t.Fatalf("append at the new owner: %v, %v; want UID 4", resp, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		has, err := a.Node.ShardHasData(s)
		if err != nil {
			t.Fatal(err)
		}
		if !has {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("old owner kept its copy after the flip")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := ca.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: "INBOX"}); err == nil {
		t.Fatal("old owner still answers for the moved user")
	}
}

// TestReceiveShardRefuses: a node accepts a shard only while the map shows
// that exact handoff to it, and keeps nothing of a stream that fails.
func TestReceiveShardRefuses(t *testing.T) {
	_, cli := clustertest.Etcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := cluster.EnsureShards(ctx, cli, "", 4); err != nil {
		t.Fatal(err)
	}
	for s := uint32(0); s < 4; s++ {
		putEntry(t, cli, s, cluster.ShardEntry{Owner: "a", Epoch: 1, State: cluster.StateActive})
	}
	b := clustertest.StartNode(t, cli, clustertest.Config{ID: "b", Shards: 4,
		Member: cluster.MemberOptions{NoController: true, ReceiveWait: 300 * time.Millisecond}})
	cc, err := grpc.NewClient(b.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	send := func(chunks ...*clusterpb.ShardChunk) error {
		st, err := clusterpb.NewClusterClient(cc).ReceiveShard(ctx)
		if err != nil {
			return err
		}
		for _, c := range chunks {
			if err := st.Send(c); err != nil {
				break // the receiver ended the stream; its status follows
			}
		}
		_, err = st.CloseAndRecv()
		return metadatapb.FromStatus(err)
	}
	hdr := &clusterpb.ShardHeader{Shard: 1, Shards: 4, FromNode: "a", Epoch: 1}
	key := []byte{0, 0, 0, 1, 0x10, 'x', 0}
	pair := &clusterpb.ShardChunk{Pairs: []*clusterpb.KeyValue{{Key: key, Value: []byte("v")}}}
	bad := &clusterpb.ShardChunk{Trailer: &clusterpb.ShardTrailer{Count: 1, Checksum: 12345}}

	// Not moving: refused (after the receiver's bounded wait for its map).
	if err := send(&clusterpb.ShardChunk{Header: hdr}); !errors.Is(err, base.ErrNotOwner) {
		t.Fatalf("unannounced handoff: %v, want ErrNotOwner", err)
	}
	if err := send(&clusterpb.ShardChunk{Header: &clusterpb.ShardHeader{Shard: 1, Shards: 8, FromNode: "a", Epoch: 1}}); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("wrong shard count: %v, want ErrInvalidArgument", err)
	}
	putEntry(t, cli, 1, cluster.ShardEntry{Owner: "a", Epoch: 1, State: cluster.StateMoving, Target: "b"})
	if err := send(&clusterpb.ShardChunk{Header: &clusterpb.ShardHeader{Shard: 1, Shards: 4, FromNode: "a", Epoch: 7}}); !errors.Is(err, base.ErrNotOwner) {
		t.Fatalf("wrong epoch: %v, want ErrNotOwner", err)
	}
	if err := send(&clusterpb.ShardChunk{Header: hdr}, pair, bad); !errors.Is(err, base.ErrConflict) {
		t.Fatalf("bad checksum: %v, want ErrConflict", err)
	}
	if has, _ := b.Node.ShardHasData(1); has {
		t.Fatal("a failed transfer left data behind")
	}
	outside := &clusterpb.ShardChunk{Pairs: []*clusterpb.KeyValue{{Key: []byte{0, 0, 0, 2, 0x10}, Value: nil}}}
	if err := send(&clusterpb.ShardChunk{Header: hdr}, outside); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("key of another shard: %v, want ErrInvalidArgument", err)
	}
	if has, _ := b.Node.ShardHasData(2); has {
		t.Fatal("a sender wrote into another shard")
	}
	if err := send(&clusterpb.ShardChunk{Header: hdr}, pair); !errors.Is(err, base.ErrInvalidArgument) {
		t.Fatalf("stream without trailer: %v, want ErrInvalidArgument", err)
	}
	if has, _ := b.Node.ShardHasData(1); has {
		t.Fatal("a truncated transfer left data behind")
	}
}
