package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// runUser implements `postbus user add|del|passwd|list`. With --etcd it
// acts on a cluster through the router (cluster_flags.go); otherwise it
// talks to a running server through DATA/admin.sock when one answers, and
// else opens the metadata store itself (Pebble's lock keeps the two
// exclusive).
func runUser(args []string) error {
	if len(args) > 0 && args[0] == "quota" {
		return runUserQuota(args[1:]) // user_quota.go: its own flags
	}
	fs := flag.NewFlagSet("user", flag.ContinueOnError)
	data := fs.String("data", "./postbus-data", "data directory of the node")
	var cf clusterFlags
	cf.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"user: want add, del, passwd or list"}
	}
	verb, rest := pos[0], pos[1:]
	wantArgs := 1
	switch verb {
	case "list":
		wantArgs = 0
	case "rename":
		wantArgs = 2
	}
	switch verb {
	case "add", "del", "passwd", "list", "rename":
	default:
		return usageError{fmt.Sprintf("user: unknown subcommand %q (want add, del, passwd, list or rename)", verb)}
	}
	if len(rest) != wantArgs {
		return usageError{fmt.Sprintf("user %s: want %d argument(s), got %d", verb, wantArgs, len(rest))}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if verb == "rename" {
		return runUserRename(ctx, *data, &cf, rest[0], rest[1]) // admin.go
	}
	var client userAdmin
	var closeFn func()
	if cf.etcd != "" {
		client, closeFn, err = clusterAdminClient(ctx, &cf)
	} else {
		client, closeFn, err = adminClient(ctx, *data)
	}
	if err != nil {
		return err
	}
	defer closeFn()

	switch verb {
	case "add", "passwd":
		pw, err := readPassword(os.Stdin)
		if err != nil {
			return err
		}
		if verb == "add" {
			_, err = client.CreateUser(ctx, &metadatapb.CreateUserRequest{User: rest[0], Password: pw})
		} else {
			_, err = client.SetPassword(ctx, &metadatapb.SetPasswordRequest{User: rest[0], Password: pw})
		}
		if err = userError(rest[0], metadatapb.FromStatus(err)); err != nil {
			return err
		}
		fmt.Printf("user %s: %s\n", rest[0], map[string]string{"add": "created", "passwd": "password changed"}[verb])
	case "del":
		_, err := client.DeleteUser(ctx, &metadatapb.DeleteUserRequest{User: rest[0]})
		if err = userError(rest[0], metadatapb.FromStatus(err)); err != nil {
			return err
		}
		fmt.Printf("user %s: deleted\n", rest[0])
	case "list":
		resp, err := client.ListUsers(ctx, &metadatapb.ListUsersRequest{})
		if err != nil {
			return metadatapb.FromStatus(err)
		}
		for _, u := range resp.Users {
			fmt.Println(u)
		}
	}
	return nil
}

// userError words the errors an administrator can cause.
func userError(user string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, base.ErrUserExists):
		return fmt.Errorf("user %s already exists", user)
	case errors.Is(err, base.ErrNoSuchUser):
		return fmt.Errorf("user %s does not exist", user)
	case errors.Is(err, base.ErrInvalidArgument), errors.Is(err, base.ErrInvalidName):
		return fmt.Errorf("user %s: %v", user, err)
	}
	return err
}

// readPassword reads the first line of r (without its line ending).
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("reading the password from the first line of stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("empty password (give it on the first line of stdin)")
	}
	return pw, nil
}

// userAdmin is the part of the Metadata service the user commands need,
// implemented by the gRPC client and by localClient.
type userAdmin interface {
	CreateUser(ctx context.Context, in *metadatapb.CreateUserRequest, opts ...grpc.CallOption) (*metadatapb.CreateUserResponse, error)
	DeleteUser(ctx context.Context, in *metadatapb.DeleteUserRequest, opts ...grpc.CallOption) (*metadatapb.Empty, error)
	SetPassword(ctx context.Context, in *metadatapb.SetPasswordRequest, opts ...grpc.CallOption) (*metadatapb.Empty, error)
	ListUsers(ctx context.Context, in *metadatapb.ListUsersRequest, opts ...grpc.CallOption) (*metadatapb.ListUsersResponse, error)
}

var _ userAdmin = metadatapb.MetadataClient(nil)
var _ userAdmin = localClient{}

// adminClient returns a Metadata client for the node of dataDir: the running
// server's admin socket if it answers, else a node opened in this process.
func adminClient(ctx context.Context, dataDir string) (userAdmin, func(), error) {
	if cc, err := dialAdmin(dataDir); err != nil {
		return nil, nil, err
	} else if cc != nil {
		return metadatapb.NewMetadataClient(cc), func() { cc.Close() }, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, nil, err
	}
	node, err := metadata.Open(metadata.Options{Dir: filepath.Join(dataDir, "metadata")})
	if err != nil {
		return nil, nil, fmt.Errorf("open %s (is a server running without its admin socket?): %w", dataDir, err)
	}
	return localClient{node}, func() { node.Close() }, nil
}

// localClient calls a node in this process directly, through the same
// request/response types as the gRPC client.
type localClient struct{ n *metadata.Node }

func (l localClient) CreateUser(ctx context.Context, in *metadatapb.CreateUserRequest, _ ...grpc.CallOption) (*metadatapb.CreateUserResponse, error) {
	r, err := l.n.CreateUser(ctx, in)
	return r, metadatapb.ToStatus(err)
}

func (l localClient) DeleteUser(ctx context.Context, in *metadatapb.DeleteUserRequest, _ ...grpc.CallOption) (*metadatapb.Empty, error) {
	r, err := l.n.DeleteUser(ctx, in)
	return r, metadatapb.ToStatus(err)
}

func (l localClient) SetPassword(ctx context.Context, in *metadatapb.SetPasswordRequest, _ ...grpc.CallOption) (*metadatapb.Empty, error) {
	r, err := l.n.SetPassword(ctx, in)
	return r, metadatapb.ToStatus(err)
}

func (l localClient) ListUsers(ctx context.Context, in *metadatapb.ListUsersRequest, _ ...grpc.CallOption) (*metadatapb.ListUsersResponse, error) {
	r, err := l.n.ListUsers(ctx, in)
	return r, metadatapb.ToStatus(err)
}
