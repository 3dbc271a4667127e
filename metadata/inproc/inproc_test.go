package inproc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/inproc"
	mpb "github.com/postbus/postbus/proto/metadatapb"
)

// clients returns a gRPC client (over an in-memory connection) and an
// in-process client of the same real metadata node.
func clients(t *testing.T) (viaGRPC, local mpb.MetadataClient) {
	t.Helper()
	n, err := metadata.Open(metadata.Options{Dir: t.TempDir(), Shards: 4, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer(mpb.ServerOptions()...)
	mpb.RegisterMetadataServer(gs, n)
	go gs.Serve(lis)
	cc, err := grpc.NewClient("passthrough:///node", append(mpb.DialOptions(),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cc.Close()
		gs.Stop()
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return mpb.NewMetadataClient(cc), inproc.New(n, inproc.Options{})
}

// drain reads a Fetch stream to its end.
func drain(st grpc.ServerStreamingClient[mpb.FetchResponse]) ([]*mpb.MessageRecord, error) {
	var out []*mpb.MessageRecord
	for {
		resp, err := st.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, resp.Messages...)
	}
}

// TestSameAnswersAsGRPC makes the same calls, successful and failing,
// through gRPC and in-process, and wants equal answers and status codes:
// the frontend must not be able to tell which one it uses.
func TestSameAnswersAsGRPC(t *testing.T) {
	viaGRPC, local := clients(t)
	ctx := context.Background()
	hdr := "Received: from x\r\n by y\r\nFrom: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: hello\r\n\r\n"
	// Users and messages are created through gRPC; both clients read.
	if _, err := viaGRPC.CreateUser(ctx, &mpb.CreateUserRequest{User: "bob", Password: "secret-password"}); err != nil {
		t.Fatal(err)
	}
	inbox, err := viaGRPC.GetMailbox(ctx, &mpb.GetMailboxRequest{User: "bob", Name: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*mpb.NewMessage
	for i := range 5 {
		msgs = append(msgs, &mpb.NewMessage{Meta: &mpb.MessageMeta{
			BlobId: fmt.Sprintf("%064x", i+1), Size: uint64(len(hdr) + 4), Header: []byte(hdr), Subject: "hello",
		}, Flags: []string{`\Seen`}})
	}
	if _, err := viaGRPC.Append(ctx, &mpb.AppendRequest{User: "bob", MailboxId: inbox.Id, Messages: msgs}); err != nil {
		t.Fatal(err)
	}

	unary := []struct {
		name string
		call func(c mpb.MetadataClient) (proto.Message, error)
	}{
		{"GetMailbox", func(c mpb.MetadataClient) (proto.Message, error) {
			return c.GetMailbox(ctx, &mpb.GetMailboxRequest{User: "bob", Name: "INBOX"})
		}},
		{"GetMailbox missing", func(c mpb.MetadataClient) (proto.Message, error) {
			return c.GetMailbox(ctx, &mpb.GetMailboxRequest{User: "bob", Name: "Nope"})
		}},
		{"Select", func(c mpb.MetadataClient) (proto.Message, error) {
			return c.Select(ctx, &mpb.SelectRequest{User: "bob", MailboxId: inbox.Id})
		}},
		{"Select of an unknown user", func(c mpb.MetadataClient) (proto.Message, error) {
			return c.Select(ctx, &mpb.SelectRequest{User: "nobody", MailboxId: inbox.Id})
		}},
		{"ListMailboxes", func(c mpb.MetadataClient) (proto.Message, error) {
			return c.ListMailboxes(ctx, &mpb.ListMailboxesRequest{User: "bob"})
		}},
		{"Authenticate wrong password", func(c mpb.MetadataClient) (proto.Message, error) {
			return c.Authenticate(ctx, &mpb.AuthenticateRequest{User: "bob", Password: "wrong"})
		}},
		{"CreateUser invalid", func(c mpb.MetadataClient) (proto.Message, error) {
			return c.CreateUser(ctx, &mpb.CreateUserRequest{User: "a b", Password: "x"})
		}},
		{"Search", func(c mpb.MetadataClient) (proto.Message, error) {
			return c.Search(ctx, &mpb.SearchRequest{User: "bob", MailboxId: inbox.Id})
		}},
	}
	for _, tc := range unary {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := tc.call(viaGRPC)
			got, gotErr := tc.call(local)
			if status.Code(gotErr) != status.Code(wantErr) {
				t.Fatalf("in-process error %v, gRPC %v", gotErr, wantErr)
			}
			if wantErr != nil {
				if _, ok := status.FromError(gotErr); !ok {
					t.Fatalf("in-process error %v is not a status", gotErr)
				}
				if status.Convert(gotErr).Message() != status.Convert(wantErr).Message() {
					t.Errorf("in-process message %q, gRPC %q", status.Convert(gotErr).Message(), status.Convert(wantErr).Message())
				}
				// The postbus reason the frontend maps to a response code.
				if g, w := mpb.FromStatus(gotErr), mpb.FromStatus(wantErr); g.Error() != w.Error() {
					t.Errorf("in-process reason %v, gRPC %v", g, w)
				}
				return
			}
			if !proto.Equal(got, want) {
				t.Errorf("in-process %v\ngRPC %v", got, want)
			}
		})
	}

	fetches := []*mpb.FetchRequest{
		{User: "bob", MailboxId: inbox.Id, Uids: &mpb.UidSet{Ranges: []*mpb.UidRange{{Start: 1}}}, WantMeta: true},
		{User: "bob", MailboxId: inbox.Id, Uids: &mpb.UidSet{Ranges: []*mpb.UidRange{{Start: 2, Stop: 4}}},
			HeaderFilters: []*mpb.HeaderFilter{{Fields: []string{"from", "SUBJECT"}}, {Fields: []string{"Received"}, Not: true}}},
		{User: "bob", MailboxId: inbox.Id + 100, Uids: &mpb.UidSet{Ranges: []*mpb.UidRange{{Start: 1}}}},
	}
	for i, req := range fetches {
		t.Run(fmt.Sprintf("Fetch %d", i), func(t *testing.T) {
			st, err := viaGRPC.Fetch(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			want, wantErr := drain(st)
			st, err = local.Fetch(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			got, gotErr := drain(st)
			if status.Code(gotErr) != status.Code(wantErr) {
				t.Fatalf("in-process error %v, gRPC %v", gotErr, wantErr)
			}
			if !slices.EqualFunc(got, want, func(a, b *mpb.MessageRecord) bool { return proto.Equal(a, b) }) {
				t.Errorf("in-process %v\ngRPC %v", got, want)
			}
		})
	}
	// The node filtered the header: the fields asked for, and the blank line.
	st, err := local.Fetch(ctx, fetches[1])
	if err != nil {
		t.Fatal(err)
	}
	recs, err := drain(st)
	if err != nil || len(recs) != 3 {
		t.Fatalf("fetch: %d records, %v", len(recs), err)
	}
	for _, r := range recs {
		if r.Meta != nil || r.MetaRaw != nil {
			t.Errorf("uid %d: meta sent without want_meta", r.State.Uid)
		}
		if len(r.HeaderSections) != 2 ||
			string(r.HeaderSections[0]) != "From: Ann <ann@example.org>\r\nSubject: hello\r\n\r\n" ||
			string(r.HeaderSections[1]) != "From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: hello\r\n\r\n" {
			t.Errorf("uid %d: header sections %q", r.State.Uid, r.HeaderSections)
		}
	}
}

// recordingServer is a MetadataServer whose streams do what a test says;
// only the calls below are implemented.
type recordingServer struct {
	mpb.UnimplementedMetadataServer
	fetch func(*mpb.FetchRequest, grpc.ServerStreamingServer[mpb.FetchResponse]) error
	watch func(*mpb.WatchRequest, grpc.ServerStreamingServer[mpb.ChangeEvent]) error
	store func(context.Context, *mpb.StoreRequest) (*mpb.StoreResponse, error)
}

func (s *recordingServer) Fetch(r *mpb.FetchRequest, st grpc.ServerStreamingServer[mpb.FetchResponse]) error {
	return s.fetch(r, st)
}

func (s *recordingServer) Watch(r *mpb.WatchRequest, st grpc.ServerStreamingServer[mpb.ChangeEvent]) error {
	return s.watch(r, st)
}

func (s *recordingServer) Store(ctx context.Context, r *mpb.StoreRequest) (*mpb.StoreResponse, error) {
	return s.store(ctx, r)
}

// TestInterceptorsRunInOrder checks that both interceptor chains run,
// outermost first, with the full method name, and see the request.
func TestInterceptorsRunInOrder(t *testing.T) {
	var mu sync.Mutex
	var log []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, s)
	}
	u := func(name string) grpc.UnaryServerInterceptor {
		return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			note(name + " " + info.FullMethod + " " + req.(*mpb.StoreRequest).User)
			return h(ctx, req)
		}
	}
	s := func(name string) grpc.StreamServerInterceptor {
		return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			note(name + " " + info.FullMethod)
			return h(srv, &peekStream{ServerStream: ss, note: note})
		}
	}
	srv := &recordingServer{
		store: func(_ context.Context, r *mpb.StoreRequest) (*mpb.StoreResponse, error) {
			note("handler " + r.User)
			return &mpb.StoreResponse{}, nil
		},
		fetch: func(r *mpb.FetchRequest, st grpc.ServerStreamingServer[mpb.FetchResponse]) error {
			note("handler " + r.User)
			return nil
		},
	}
	c := inproc.New(srv, inproc.Options{
		Unary:  []grpc.UnaryServerInterceptor{u("outer"), u("inner")},
		Stream: []grpc.StreamServerInterceptor{s("outer"), s("inner")},
	})
	if _, err := c.Store(context.Background(), &mpb.StoreRequest{User: "ann"}); err != nil {
		t.Fatal(err)
	}
	st, err := c.Fetch(context.Background(), &mpb.FetchRequest{User: "bea"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != io.EOF {
		t.Fatalf("Recv: %v, want EOF", err)
	}
	want := []string{
		"outer " + mpb.Metadata_Store_FullMethodName + " ann",
		"inner " + mpb.Metadata_Store_FullMethodName + " ann",
		"handler ann",
		"outer " + mpb.Metadata_Fetch_FullMethodName,
		"inner " + mpb.Metadata_Fetch_FullMethodName,
		"inner saw bea", // the request passes through RecvMsg, innermost first
		"outer saw bea",
		"handler bea",
	}
	if !slices.Equal(log, want) {
		t.Errorf("calls:\n%q\nwant\n%q", log, want)
	}
}

// peekStream reports the request its RecvMsg passes on.
type peekStream struct {
	grpc.ServerStream
	note func(string)
}

func (p *peekStream) RecvMsg(m any) error {
	err := p.ServerStream.RecvMsg(m)
	if r, ok := m.(*mpb.FetchRequest); ok && err == nil {
		if _, inner := p.ServerStream.(*peekStream); inner {
			p.note("outer saw " + r.User)
		} else {
			p.note("inner saw " + r.User)
		}
	}
	return err
}

func TestErrorsBecomeStatuses(t *testing.T) {
	plain := errors.New("disk on fire")
	for _, tc := range []struct {
		err  error
		code codes.Code
	}{
		{plain, codes.Unknown},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{context.Canceled, codes.Canceled},
		{status.Error(codes.NotFound, "no such thing"), codes.NotFound},
	} {
		srv := &recordingServer{
			store: func(context.Context, *mpb.StoreRequest) (*mpb.StoreResponse, error) { return nil, tc.err },
			fetch: func(*mpb.FetchRequest, grpc.ServerStreamingServer[mpb.FetchResponse]) error { return tc.err },
		}
		c := inproc.New(srv, inproc.Options{})
		_, err := c.Store(context.Background(), &mpb.StoreRequest{})
		if _, ok := status.FromError(err); !ok || status.Code(err) != tc.code {
			t.Errorf("Store returning %v: error %v, want code %v", tc.err, err, tc.code)
		}
		st, err := c.Fetch(context.Background(), &mpb.FetchRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recv(); status.Code(err) != tc.code {
			t.Errorf("Fetch returning %v: Recv error %v, want code %v", tc.err, err, tc.code)
		}
	}
	// A nil response without an error cannot be delivered by gRPC either.
	c := inproc.New(&recordingServer{store: func(context.Context, *mpb.StoreRequest) (*mpb.StoreResponse, error) { return nil, nil }}, inproc.Options{})
	if _, err := c.Store(context.Background(), &mpb.StoreRequest{}); status.Code(err) != codes.Internal {
		t.Errorf("nil response: %v, want Internal", err)
	}
}

// TestStreamOrderAndCancel checks that every message arrives in order
// before the end, and that a caller who gives up ends the handler.
func TestStreamOrderAndCancel(t *testing.T) {
	const n = 100
	handlerDone := make(chan error, 1)
	srv := &recordingServer{fetch: func(r *mpb.FetchRequest, st grpc.ServerStreamingServer[mpb.FetchResponse]) error {
		for i := range uint32(n) {
			if err := st.Send(&mpb.FetchResponse{Messages: []*mpb.MessageRecord{{State: &mpb.MessageState{Uid: i + 1}}}}); err != nil {
				handlerDone <- err
				return err
			}
		}
		if r.User == "forever" {
			<-st.Context().Done() // ends only when the caller gives up
			handlerDone <- st.Context().Err()
			return st.Context().Err()
		}
		handlerDone <- nil
		return status.Error(codes.ResourceExhausted, "the end")
	}}
	c := inproc.New(srv, inproc.Options{})
	st, err := c.Fetch(context.Background(), &mpb.FetchRequest{User: "once"})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := drain(st)
	if status.Code(err) != codes.ResourceExhausted || len(recs) != n {
		t.Fatalf("%d records, end %v; want %d and the handler's status", len(recs), err, n)
	}
	for i, r := range recs {
		if r.State.Uid != uint32(i+1) {
			t.Fatalf("record %d has uid %d", i, r.State.Uid)
		}
	}
	<-handlerDone

	ctx, cancel := context.WithCancel(context.Background())
	st, err = c.Fetch(ctx, &mpb.FetchRequest{User: "forever"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	// The handler, blocked on a full pipe or waiting, sees the end.
	select {
	case err := <-handlerDone:
		if err == nil {
			t.Fatal("handler finished normally after the caller cancelled")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("handler still running 10 s after the caller cancelled")
	}
	if _, err := st.Recv(); status.Code(err) != codes.Canceled {
		// Messages already in the pipe may come first; then Canceled.
		for err == nil {
			_, err = st.Recv()
		}
		if status.Code(err) != codes.Canceled {
			t.Errorf("Recv after cancel: %v, want Canceled", err)
		}
	}

	if _, err := c.Fetch(ctx, &mpb.FetchRequest{}); status.Code(err) != codes.Canceled {
		t.Errorf("Fetch with a done context: %v, want Canceled", err)
	}
}

// TestWatchHeader checks that Header waits for the handler's SendHeader
// (a Watch subscriber relies on it) and reports an error end instead.
func TestWatchHeader(t *testing.T) {
	release := make(chan struct{})
	srv := &recordingServer{watch: func(r *mpb.WatchRequest, st grpc.ServerStreamingServer[mpb.ChangeEvent]) error {
		if r.User == "refused" {
			return status.Error(codes.PermissionDenied, "no")
		}
		<-release
		if err := st.SendHeader(nil); err != nil {
			return err
		}
		if err := st.SetHeader(nil); err == nil {
			return errors.New("SetHeader after SendHeader succeeded")
		}
		return st.Send(&mpb.ChangeEvent{MailboxId: 7})
	}}
	c := inproc.New(srv, inproc.Options{})
	st, err := c.Watch(context.Background(), &mpb.WatchRequest{User: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := st.Header()
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("Header returned (%v) before the handler sent it", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-got; err != nil {
		t.Fatalf("Header: %v", err)
	}
	ev, err := st.Recv()
	if err != nil || ev.MailboxId != 7 {
		t.Fatalf("Recv: %v, %v", ev, err)
	}
	if _, err := st.Recv(); err != io.EOF {
		t.Fatalf("Recv at the end: %v, want EOF", err)
	}

	st, err = c.Watch(context.Background(), &mpb.WatchRequest{User: "refused"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Header(); status.Code(err) != codes.PermissionDenied {
		t.Errorf("Header of a refused stream: %v, want PermissionDenied", err)
	}
}
