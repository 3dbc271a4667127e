package hub

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestCoalesce(t *testing.T) {
	h := New()
	s := h.Subscribe("bob")
	defer s.Close()
	other := h.Subscribe("alice")
	defer other.Close()

	// A writer publishing far more than anyone reads never blocks.
	for i := uint64(1); i <= 10000; i++ {
		h.Publish("bob", Event{MailboxID: 1 + i%2, ModSeq: i})
	}
	h.Publish("bob", Event{MailboxID: 0, MailboxesChanged: true})
	h.Publish("bob", Event{MailboxID: 1, ModSeq: 3, MailboxesChanged: true})

	got, err := s.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{MailboxID: 0, MailboxesChanged: true},
		{MailboxID: 1, ModSeq: 10000, MailboxesChanged: true},
		{MailboxID: 2, ModSeq: 9999},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := other.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("alice got %v, want context.Canceled (no events for her)", err)
	}
}

func TestCloseUnsubscribes(t *testing.T) {
	h := New()
	s := h.Subscribe("bob")
	s2 := h.Subscribe("bob")
	if n := h.Subscribers("bob"); n != 2 {
		t.Fatalf("subscribers = %d", n)
	}
	s.Close()
	s.Close()
	h.Publish("bob", Event{MailboxID: 1, ModSeq: 2})
	if n := h.Subscribers("bob"); n != 1 {
		t.Fatalf("subscribers = %d", n)
	}
	got, err := s2.Next(context.Background())
	if err != nil || len(got) != 1 || got[0].ModSeq != 2 {
		t.Fatalf("got %v %v", got, err)
	}
	s2.Close()
	if n := h.Subscribers("bob"); n != 0 {
		t.Fatalf("subscribers = %d", n)
	}
}
