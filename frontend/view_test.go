package frontend

import (
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/postbus/postbus/frontend/deliver"
)

func TestResolve(t *testing.T) {
	sel := &selected{uids: []uint32{3, 5, 6, 9, 20}}
	sel.searchRes = []uint32{5, 7, 20}
	tests := []struct {
		name    string
		set     imap.NumSet
		want    []uint32
		wantErr bool
	}{
		{"one seq", imap.SeqSetNum(2), []uint32{5}, false},
		{"seq range", imap.SeqSet{{Start: 2, Stop: 4}}, []uint32{5, 6, 9}, false},
		{"reversed range", imap.SeqSet{{Start: 4, Stop: 2}}, []uint32{5, 6, 9}, false},
		{"star", imap.SeqSet{{Start: 0, Stop: 0}}, []uint32{20}, false},
		{"n:star", imap.SeqSet{{Start: 4, Stop: 0}}, []uint32{9, 20}, false},
		{"beyond with star clamps", imap.SeqSet{{Start: 9, Stop: 0}}, []uint32{20}, false},
		{"beyond exists", imap.SeqSetNum(6), nil, true},
		{"overlap dedup", imap.SeqSet{{Start: 1, Stop: 3}, {Start: 2, Stop: 2}}, []uint32{3, 5, 6}, false},
		{"uid range", imap.UIDSet{{Start: 4, Stop: 9}}, []uint32{5, 6, 9}, false},
		{"uid missing ignored", imap.UIDSetNum(4, 7, 100), nil, false},
		{"uid star", imap.UIDSet{{Start: 10, Stop: 0}}, []uint32{20}, false},
		{"uid beyond star", imap.UIDSet{{Start: 100, Stop: 0}}, []uint32{20}, false},
		{"saved", imap.SearchRes(), []uint32{5, 20}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sel.resolve(tt.set)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	empty := &selected{}
	if got, err := empty.resolve(imap.SeqSet{{Start: 1, Stop: 0}}); err != nil || len(got) != 0 {
		t.Errorf("1:* on empty: %v %v", got, err)
	}
	if _, err := empty.resolve(imap.SeqSetNum(1)); err == nil {
		t.Error("1 on empty mailbox: no error")
	}
	if got, err := sel.resolveSearch(imap.SeqSet{{Start: 4, Stop: 10}, {Start: 50, Stop: 60}}); err != nil || !slices.Equal(got, []uint32{9, 20}) {
		t.Errorf("resolveSearch clamps: %v %v", got, err)
	}
}

func TestRemoveKeepsViewConsistent(t *testing.T) {
	sel := &selected{uids: []uint32{3, 5, 6}, recent: map[uint32]struct{}{5: {}}, pending: []uint32{5, 6}, reported: map[uint32]uint64{5: 1}}
	if seq := sel.remove(5); seq != 2 {
		t.Errorf("remove(5) = %d, want 2", seq)
	}
	if seq := sel.remove(5); seq != 0 {
		t.Errorf("second remove(5) = %d", seq)
	}
	if !slices.Equal(sel.uids, []uint32{3, 6}) || !slices.Equal(sel.pending, []uint32{6}) || sel.isRecent(5) {
		t.Errorf("after remove: %+v", sel)
	}
	if sel.seqOf(6) != 2 || sel.seqOf(4) != 0 || sel.maxUID() != 6 {
		t.Errorf("seqOf/maxUID wrong: %+v", sel)
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatUIDs([]uint32{1, 2, 3, 5, 7, 8}), "1:3,5,7:8"},
		{formatUIDs([]uint32{9, 4, 5}), "9,4:5"},
		{formatUIDs(nil), ""},
		{formatFlags([]string{`\Seen`, "$Work"}, true), `(\Seen $Work \Recent)`},
		{formatFlags([]string{`\Recent`}, false), `()`},
		{normalizeName("inbox"), "INBOX"},
		{normalizeName("Inbox/Sub/"), "INBOX/Sub"},
		{normalizeName("Inboxes"), "Inboxes"},
		{normalizeName("/"), "/"},
		{lenientUTF8("Ünï&code", false), "&ANw-n&AO8-&code"},
		{lenientUTF8("Ünï", true), "Ünï"},
		{lenientUTF8("plain&-", false), "plain&-"},
		{foldInbox("inbox/%"), "INBOX/%"},
		{foldInbox("inboxes"), "inboxes"},
		{parentOf("a/b/c"), "a/b"},
		{parentOf("a"), ""},
		{deliver.CanonicalFlag(`\SEEN`), `\Seen`},
		{deliver.CanonicalFlag(`$label`), `$label`},
		{sectionString(nil), ""},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q, want %q", i, tt.got, tt.want)
		}
	}
	if !matchAny("INBOX/Sub", "", []string{"inbox/*"}) || matchAny("Work", "", []string{"INBOX*"}) {
		t.Error("matchAny INBOX folding")
	}
}

func TestUIDSetCompression(t *testing.T) {
	sel := &selected{uids: []uint32{3, 5, 6, 9, 20}}
	tests := []struct {
		uids []uint32
		want string
	}{
		{[]uint32{3, 5, 6, 9, 20}, "3:20"},
		{[]uint32{3, 6, 9}, "3,6:9"},
		{[]uint32{5}, "5"},
		{[]uint32{3, 20}, "3,20"},
		{nil, ""},
	}
	for _, tt := range tests {
		set := sel.uidSet(tt.uids)
		var parts []string
		for _, r := range set.Ranges {
			if r.Start == r.Stop {
				parts = append(parts, itoa(int(r.Start)))
			} else {
				parts = append(parts, itoa(int(r.Start))+":"+itoa(int(r.Stop)))
			}
		}
		if got := strings.Join(parts, ","); got != tt.want {
			t.Errorf("uidSet(%v) = %q, want %q", tt.uids, got, tt.want)
		}
	}
}
