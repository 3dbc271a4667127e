package metadata

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/state"
	"github.com/postbus/postbus/proto/metadatapb"
)

// userChunkBytes bounds one UserData message (values included), well
// under gRPC's default 4 MiB message limit.
const userChunkBytes = 1 << 20

// ExportUser streams every key of a user from one snapshot; the last
// message carries the checksum (state.Store.ExportUser).
func (a *Admin) ExportUser(req *metadatapb.ExportUserRequest, stream metadatapb.Admin_ExportUserServer) error {
	n := a.n
	release, err := n.enter(req.User)
	if err != nil {
		return n.rpcErr("ExportUser", err)
	}
	defer release()
	out, size := &metadatapb.UserData{}, 0
	sum, err := n.st.ExportUser(req.User, func(kv state.UserKV) error {
		out.Keys = append(out.Keys, &metadatapb.UserKey{Table: uint32(kv.Table), Suffix: kv.Suffix, Value: kv.Value})
		if size += len(kv.Suffix) + len(kv.Value) + 16; size < userChunkBytes {
			return nil
		}
		err := stream.Send(out)
		out, size = &metadatapb.UserData{}, 0
		return err
	})
	if err != nil {
		return n.rpcErr("ExportUser", err)
	}
	out.Last, out.Checksum = true, sum
	return stream.Send(out)
}

// ImportUser writes an exported user under the name of the first message,
// once the last message (with the checksum) has arrived.
func (a *Admin) ImportUser(stream metadatapb.Admin_ImportUserServer) error {
	n := a.n
	var user string
	var keys []state.UserKV
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n.rpcErr("ImportUser", fmt.Errorf("metadata: import of %q ended without its last message: %w", user, base.ErrInvalidArgument))
		}
		if err != nil {
			return err
		}
		if user == "" {
			user = m.User
		}
		for _, k := range m.Keys {
			if k.Table > 0xff {
				return n.rpcErr("ImportUser", fmt.Errorf("metadata: import: table %d: %w", k.Table, base.ErrInvalidArgument))
			}
			keys = append(keys, state.UserKV{Table: byte(k.Table), Suffix: k.Suffix, Value: k.Value})
		}
		if !m.Last {
			continue
		}
		release, err := n.enter(user)
		if err != nil {
			return n.rpcErr("ImportUser", err)
		}
		err = n.st.ImportUser(user, keys, m.Checksum)
		release()
		if err != nil {
			return n.rpcErr("ImportUser", err)
		}
		n.log.Info("metadata: user imported", "user", user, "keys", len(keys))
		return stream.SendAndClose(&metadatapb.Empty{})
	}
}

// DeleteUserIfUnchanged deletes the source of a move if it did not change
// since its export.
func (a *Admin) DeleteUserIfUnchanged(ctx context.Context, req *metadatapb.DeleteUserIfUnchangedRequest) (*metadatapb.Empty, error) {
	n := a.n
	release, err := n.enter(req.User)
	if err != nil {
		return nil, n.rpcErr("DeleteUserIfUnchanged", err)
	}
	defer release()
	if err := n.st.DeleteUserIfUnchanged(req.User, req.Checksum); err != nil {
		return nil, n.rpcErr("DeleteUserIfUnchanged", err)
	}
	return &metadatapb.Empty{}, nil
}
