package metadatapb

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/postbus/postbus/metadata/base"
)

// errorDomain is the ErrorInfo domain of postbus statuses.
const errorDomain = "postbus"

// sentinels maps each sentinel error to its wire reason and gRPC code. The
// reason strings are part of the protocol between roles; never rename one.
var sentinels = []struct {
	err    error
	reason string
	code   codes.Code
}{
	{base.ErrNoSuchUser, "NO_SUCH_USER", codes.NotFound},
	{base.ErrUserExists, "USER_EXISTS", codes.AlreadyExists},
	{base.ErrAuthFailed, "AUTH_FAILED", codes.Unauthenticated},
	{base.ErrNoSuchMailbox, "NO_SUCH_MAILBOX", codes.NotFound},
	{base.ErrMailboxExists, "MAILBOX_EXISTS", codes.AlreadyExists},
	{base.ErrMailboxHasChild, "MAILBOX_HAS_CHILD", codes.FailedPrecondition},
	{base.ErrInvalidName, "INVALID_NAME", codes.InvalidArgument},
	{base.ErrNoSuchMessage, "NO_SUCH_MESSAGE", codes.NotFound},
	{base.ErrOverQuota, "OVER_QUOTA", codes.ResourceExhausted},
	{base.ErrTooBig, "TOO_BIG", codes.ResourceExhausted},
	{base.ErrInvalidArgument, "INVALID_ARGUMENT", codes.InvalidArgument},
	{base.ErrNotOwner, "NOT_OWNER", codes.FailedPrecondition},
	{base.ErrUnavailable, "UNAVAILABLE", codes.Unavailable},
	{base.ErrNoSuchBlob, "NO_SUCH_BLOB", codes.NotFound},
	{base.ErrConflict, "CONFLICT", codes.Aborted},
}

// ToStatus maps an error returned by a metadata node to the gRPC status sent
// to the caller. Sentinels of package base keep their identity across the
// wire (FromStatus restores them); context errors keep their codes; anything
// else becomes codes.Internal.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			st := status.New(s.code, err.Error())
			if d, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: s.reason, Domain: errorDomain}); derr == nil {
				st = d
			}
			return st.Err()
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

// FromStatus turns an error received from a metadata RPC back into an error
// that matches the right base sentinel with errors.Is. Transport failures
// (codes.Unavailable without a reason) become base.ErrUnavailable.
func FromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, d := range st.Details() {
		info, ok := d.(*errdetails.ErrorInfo)
		if !ok || info.Domain != errorDomain {
			continue
		}
		for _, s := range sentinels {
			if s.reason == info.Reason {
				return &remoteError{sentinel: s.err, msg: st.Message()}
			}
		}
	}
	switch st.Code() {
	case codes.Unavailable:
		return &remoteError{sentinel: base.ErrUnavailable, msg: st.Message()}
	case codes.Canceled:
		return context.Canceled
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	}
	return err
}

// remoteError is an error that came over gRPC: its text is the remote one,
// its identity (errors.Is) the sentinel.
type remoteError struct {
	sentinel error
	msg      string
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// NewUidSet builds a UidSet of single UIDs, merging consecutive ones.
func NewUidSet(uids ...uint32) *UidSet {
	s := &UidSet{}
	for _, u := range uids {
		n := len(s.Ranges)
		if n > 0 && s.Ranges[n-1].Stop != 0 && s.Ranges[n-1].Stop+1 == u {
			s.Ranges[n-1].Stop = u
			continue
		}
		s.Ranges = append(s.Ranges, &UidRange{Start: u, Stop: u})
	}
	return s
}

// Contains reports whether uid is in the set. A nil or empty set contains
// nothing; a range whose Stop is 0 extends to the largest UID.
func (s *UidSet) Contains(uid uint32) bool {
	if s == nil {
		return false
	}
	for _, r := range s.Ranges {
		lo, hi := r.Start, r.Stop
		if hi == 0 {
			hi = ^uint32(0)
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		if uid >= lo && uid <= hi {
			return true
		}
	}
	return false
}
