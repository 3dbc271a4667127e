package metadatapb

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/postbus/postbus/metadata/base"
)

// Every sentinel keeps its identity through ToStatus and FromStatus, the one
// mapping of each boundary (STYLE.md), and keeps the remote text.
func TestStatusRoundTrip(t *testing.T) {
	for _, s := range sentinels {
		err := fmt.Errorf("mailbox %q: %w", "Work", s.err)
		st := ToStatus(err)
		if got := status.Code(st); got != s.code {
			t.Errorf("%v: code %v, want %v", s.err, got, s.code)
		}
		back := FromStatus(st)
		if !errors.Is(back, s.err) {
			t.Errorf("%v: FromStatus(ToStatus(err)) = %v, not errors.Is the sentinel", s.err, back)
		}
		for _, other := range sentinels {
			if other.err != s.err && errors.Is(back, other.err) {
				t.Errorf("%v also matches %v", s.err, other.err)
			}
		}
		if back.Error() != err.Error() {
			t.Errorf("text %q, want %q", back.Error(), err.Error())
		}
	}
}

func TestStatusOtherErrors(t *testing.T) {
	if ToStatus(nil) != nil || FromStatus(nil) != nil {
		t.Fatal("nil must stay nil")
	}
	if c := status.Code(ToStatus(errors.New("disk on fire"))); c != codes.Internal {
		t.Errorf("plain error: %v, want Internal", c)
	}
	if !errors.Is(FromStatus(ToStatus(context.Canceled)), context.Canceled) {
		t.Error("context.Canceled lost")
	}
	if !errors.Is(FromStatus(ToStatus(context.DeadlineExceeded)), context.DeadlineExceeded) {
		t.Error("context.DeadlineExceeded lost")
	}
	// A transport failure (no reason attached) is "unavailable".
	if !errors.Is(FromStatus(status.Error(codes.Unavailable, "connection refused")), base.ErrUnavailable) {
		t.Error("codes.Unavailable without reason is not base.ErrUnavailable")
	}
	// A status passes through ToStatus unchanged.
	st := status.Error(codes.NotFound, "x")
	if ToStatus(st) != st {
		t.Error("ToStatus rewrapped a status")
	}
}

func TestUidSet(t *testing.T) {
	s := NewUidSet(1, 2, 3, 7, 9, 10)
	if len(s.Ranges) != 3 {
		t.Fatalf("ranges %v, want 1:3,7,9:10", s.Ranges)
	}
	for uid, want := range map[uint32]bool{0: false, 1: true, 3: true, 4: false, 7: true, 8: false, 10: true, 11: false} {
		if s.Contains(uid) != want {
			t.Errorf("Contains(%d) = %v", uid, !want)
		}
	}
	open := &UidSet{Ranges: []*UidRange{{Start: 5, Stop: 0}}}
	if !open.Contains(1<<31) || open.Contains(4) {
		t.Error("open range 5:* wrong")
	}
	var nilSet *UidSet
	if nilSet.Contains(1) {
		t.Error("nil set contains 1")
	}
}
