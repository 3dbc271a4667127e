package threading

import (
	"slices"
	"testing"
)

func TestFirstAddress(t *testing.T) {
	tests := []struct {
		list, mailbox, display string
	}{
		{"", "", ""},
		{"alice@example.org", "alice", "alice@example.org"},
		{"alice@example.org, bob@example.org", "alice", "alice@example.org"},
		{"Alice Doe <alice@example.org>", "alice", "Alice Doe"},
		{"Doe, Alice <alice@example.org>, bob@example.org", "alice", "Doe, Alice"},
		{"bob@x.org <bob@x.org>", "bob", "bob@x.org"},
		{"Zoë <z@example.org>", "z", "Zoë"},
		{"garbage", "garbage", "garbage"},
	}
	for _, tt := range tests {
		a, ok := firstAddress(tt.list)
		if got := mailboxKey(a); got != tt.mailbox {
			t.Errorf("mailboxKey(%q) = %q, want %q", tt.list, got, tt.mailbox)
		}
		if got := displayKey(a, ok); got != tt.display {
			t.Errorf("displayKey(%q) = %q, want %q", tt.list, got, tt.display)
		}
	}
}

func TestSort(t *testing.T) {
	msgs := []Msg{
		{UID: 1, Subject: "Re: beta", From: "Zed <a@x>", To: "m@x", SentDate: 300, InternalDate: 50, Size: 10},
		{UID: 2, Subject: "alpha", From: "b@x", Cc: "c@x", SentDate: 0, InternalDate: 100, Size: 30}, // sent date falls back to 100
		{UID: 3, Subject: "BETA", From: "Anne <c@x>", To: "Bob <b@x>", SentDate: 200, InternalDate: 10, Size: 20},
		{UID: 4, Subject: "[list] Alpha", SentDate: 200, InternalDate: 10, Size: 20},
	}
	tests := []struct {
		name    string
		program []Key
		want    []uint32
	}{
		{"arrival, ties by mailbox order", []Key{{By: Arrival}}, []uint32{3, 4, 1, 2}},
		{"reverse arrival keeps the implicit order", []Key{{By: Arrival, Reverse: true}}, []uint32{2, 1, 3, 4}},
		{"date with fallback", []Key{{By: Date}}, []uint32{2, 3, 4, 1}},
		{"size", []Key{{By: Size}}, []uint32{1, 3, 4, 2}},
		{"subject then date", []Key{{By: Subject}, {By: Date}}, []uint32{2, 4, 3, 1}},
		{"subject reverse date", []Key{{By: Subject}, {By: Date, Reverse: true}}, []uint32{4, 2, 1, 3}},
		{"from mailbox, empty first", []Key{{By: From}}, []uint32{4, 1, 2, 3}},
		{"display from", []Key{{By: DisplayFrom}}, []uint32{4, 3, 2, 1}},
		{"to", []Key{{By: To}}, []uint32{2, 4, 3, 1}},
		{"display to", []Key{{By: DisplayTo}}, []uint32{2, 4, 3, 1}},
		{"cc", []Key{{By: Cc}}, []uint32{1, 3, 4, 2}},
		{"reverse cc", []Key{{By: Cc, Reverse: true}}, []uint32{2, 1, 3, 4}},
		{"empty program is mailbox order", nil, []uint32{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		got, err := Sort(slices.Clone(msgs), tt.program)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: Sort = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := Sort(msgs, []Key{{By: Criterion(99)}}); err == nil {
		t.Error("unknown criterion accepted")
	}
}
