package cluster_test

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc64"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/cluster/clustertest"
	"github.com/postbus/postbus/proto/clusterpb"
	"github.com/postbus/postbus/proto/metadatapb"
)

// transferSum is the count and checksum of pairs as cluster.proto defines
// them (CRC-64/ECMA over uvarint length, key, uvarint length, value).
func transferSum(pairs []*clusterpb.KeyValue) *clusterpb.ShardTrailer {
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	var n [binary.MaxVarintLen64]byte
	for _, kv := range pairs {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(kv.Key)))])
		h.Write(kv.Key)
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(kv.Value)))])
		h.Write(kv.Value)
	}
	return &clusterpb.ShardTrailer{Count: uint64(len(pairs)), Checksum: h.Sum64()}
}

// TestDuplicateTransferKeepsReceivedShard: once a node has ingested a
// shard for a handoff, the sender may flip the map at any moment, and the
// node serves the shard as soon as it sees the flip. A second stream of the
// same handoff — the sender retrying because it missed the answer or its
// flip's answer, a late stream of an attempt the sender gave up on, or a
// handoff restarted from a stale map by a sender that may already have
// dropped its copy — must never clear or replace what was received: each
// duplicate below, if it cleared the range, would leave the new owner
// answering NO_SUCH_USER for an existing user.
func TestDuplicateTransferKeepsReceivedShard(t *testing.T) {
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
	// The real node a makes the user's data; the test then sends that data
	// as a would, so that it controls every stream.
	a := clustertest.StartNode(t, cli, clustertest.Config{ID: "a", Shards: 4, Member: noCtl})
	if err := a.Member.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	const user = "dup"
	ca := client(t, a.Addr)
	if _, err := ca.CreateUser(ctx, &metadatapb.CreateUserRequest{User: user, Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	inbox, err := ca.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Append(ctx, &metadatapb.AppendRequest{User: user, MailboxId: inbox.Id,
		Messages: []*metadatapb.NewMessage{{Meta: &metadatapb.MessageMeta{BlobId: blob(1), Size: 10}}}}); err != nil {
		t.Fatal(err)
	}
	s := base.ShardOf(user, 4)
	var pairs []*clusterpb.KeyValue
	err = a.Node.ExportShard(ctx, s, func(k, v []byte) error {
		pairs = append(pairs, &clusterpb.KeyValue{Key: append([]byte(nil), k...), Value: append([]byte(nil), v...)})
		return nil
	})
	if err != nil || len(pairs) == 0 {
		t.Fatalf("export: %d pairs, %v", len(pairs), err)
	}
	a.Stop() // a's shards stay assigned to it; it sends nothing itself

	b := clustertest.StartNode(t, cli, clustertest.Config{ID: "b", Shards: 4,
		Member: cluster.MemberOptions{NoController: true, ReceiveWait: 300 * time.Millisecond}})
	putEntry(t, cli, s, cluster.ShardEntry{Owner: "a", Epoch: 1, State: cluster.StateMoving, Target: "b"})
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
	hdr := &clusterpb.ShardChunk{Header: &clusterpb.ShardHeader{Shard: s, Shards: 4, FromNode: "a", Epoch: 1}}
	full := &clusterpb.ShardChunk{Pairs: pairs, Trailer: transferSum(pairs)}
	// b's own view of the user, past the gate (b does not serve s yet).
	userAtB := func() error {
		_, err := b.Node.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: "INBOX"})
		return err
	}

	if err := send(hdr, full); err != nil {
		t.Fatalf("first transfer: %v", err)
	}
	if err := userAtB(); err != nil {
		t.Fatalf("after the first transfer: %v", err)
	}
	for _, tc := range []struct {
		name    string
		chunks  []*clusterpb.ShardChunk
		wantErr error // nil: answered as received
	}{
		{"identical retry", []*clusterpb.ShardChunk{hdr, full}, nil},
		{"stream cut before its trailer", []*clusterpb.ShardChunk{hdr, {Pairs: pairs[:1]}}, base.ErrInvalidArgument},
		{"sender that dropped its copy", []*clusterpb.ShardChunk{hdr, {Trailer: transferSum(nil)}}, base.ErrConflict},
		{"different data", []*clusterpb.ShardChunk{hdr, {Pairs: pairs[:1], Trailer: transferSum(pairs[:1])}}, base.ErrConflict},
	} {
		err := send(tc.chunks...)
		if (tc.wantErr == nil && err != nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.wantErr)
		}
		if err := userAtB(); err != nil {
			t.Fatalf("%s: the received shard is damaged: %v", tc.name, err)
		}
	}

	// The flip a sends after the first answer: b serves what it received.
	putEntry(t, cli, s, cluster.ShardEntry{Owner: "b", Epoch: 2, State: cluster.StateActive})
	waitServingShard(ctx, t, b, s)
	cb := client(t, b.Addr)
	sel, err := cb.Select(ctx, &metadatapb.SelectRequest{User: user, MailboxId: inbox.Id})
	if err != nil || len(sel.Uids) != 1 || sel.Mailbox.UidNext != 2 {
		t.Fatalf("at the new owner: %v, %v; want UID 1 and UIDNEXT 2", sel, err)
	}
	// After the flip the handoff is over: a stream of it is refused.
	if err := send(hdr, full); !errors.Is(err, base.ErrNotOwner) {
		t.Fatalf("transfer after the flip: %v, want ErrNotOwner", err)
	}
	if _, err := cb.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: "INBOX"}); err != nil {
		t.Fatalf("after a refused late transfer: %v", err)
	}
}

// countHandler counts log records with a given message.
type countHandler struct {
	msg string
	n   *atomic.Int64
}

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countHandler) WithGroup(string) slog.Handler      { return h }

// TestHandoffNotResentFromStaleMap: the old owner's watcher can lag behind
// its own flip (it delivers an older change after the handoff goroutine has
// flipped and returned). Reconciling such a map must not send the shard to
// the new owner again: that stream would be a duplicate of a finished
// handoff, sent by a node that may already have dropped its copy, to a
// target that may already serve the shard.
func TestHandoffNotResentFromStaleMap(t *testing.T) {
	_, cli := clustertest.Etcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := cluster.EnsureShards(ctx, cli, "", 4); err != nil {
		t.Fatal(err)
	}
	for s := uint32(0); s < 4; s++ {
		putEntry(t, cli, s, cluster.ShardEntry{Owner: "a", Epoch: 1, State: cluster.StateActive})
	}
	var retries atomic.Int64
	a := clustertest.StartNode(t, cli, clustertest.Config{ID: "a", Shards: 4, Member: cluster.MemberOptions{
		NoController: true, Logger: slog.New(countHandler{msg: "cluster: handoff failed; retrying", n: &retries})}})
	b := clustertest.StartNode(t, cli, clustertest.Config{ID: "b", Shards: 4,
		Member: cluster.MemberOptions{NoController: true, ReceiveWait: 200 * time.Millisecond}})
	if err := a.Member.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	const user = "stale"
	if _, err := client(t, a.Addr).CreateUser(ctx, &metadatapb.CreateUserRequest{User: user, Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	s := base.ShardOf(user, 4)
	putEntry(t, cli, s, cluster.ShardEntry{Owner: "a", Epoch: 1, State: cluster.StateMoving, Target: "b"})
	var stale *cluster.ShardMap
	waitMap(t, a.Member.Map(), "the handoff", func(m *cluster.ShardMap) bool {
		if e, _ := m.Entry(s); e.State == cluster.StateMoving {
			stale = m
			return true
		}
		return false
	})
	waitServingShard(ctx, t, b, s)
	for deadline := time.Now().Add(10 * time.Second); a.Member.HandoffRunning(s); {
		if time.Now().After(deadline) {
			t.Fatal("the handoff did not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := retries.Load()

	a.Member.ReconcileForTest(stale)
	for deadline := time.Now().Add(10 * time.Second); a.Member.HandoffRunning(s); {
		if time.Now().After(deadline) {
			t.Fatal("a handoff started from a stale map keeps sending the shard after the flip")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := retries.Load() - before; n != 0 {
		t.Errorf("a handoff started from a stale map sent the shard again (%d failed attempts)", n)
	}
	if _, err := client(t, b.Addr).GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: "INBOX"}); err != nil {
		t.Fatalf("at the new owner: %v", err)
	}
}

// waitServingShard waits until n serves shard s. Serving follows the map
// asynchronously (the member starts serving after it has processed the
// map change), so it is polled: waiting for a map change could miss it.
func waitServingShard(ctx context.Context, t *testing.T, n *clustertest.Node, s uint32) {
	t.Helper()
	for !n.Member.Serving(s) {
		select {
		case <-ctx.Done():
			t.Fatalf("node %s does not serve shard %d: %v", n.ID, s, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
