package search

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/postbus/postbus/proto/metadatapb"
)

func TestDigestAnswersLikeTheHeader(t *testing.T) {
	headers := []string{
		"From: \"Doe, John\" <john@example.org>\r\nTo: a@b, =?utf-8?q?J=C3=BCrgen?= <j@x>\r\nSubject: Re: Hello\r\n  World\r\n\r\n",
		"subject: =?iso-8859-1?q?caf=E9?=\r\nCC: \"q\\\\uoted\" <q@x>\r\nBcc:\r\nFROM: second@x\r\nFrom: third@x\r\n\r\n",
		"X-Other: from me\r\n\r\n",
		"From: unterminated",
		"",
	}
	keys := []*metadatapb.SearchKey{
		kHeader("from", "doe, john"), kHeader("from", "\"doe"), kHeader("From", "third"), kHeader("to", "jürgen"),
		kHeader("subject", "hello world"), kHeader("subject", "hello\r\n"), kHeader("subject", "CAFÉ"),
		kHeader("cc", "q\\uoted"), kHeader("cc", "q\\\\uoted"), kHeader("bcc", ""), kHeader("from", ""),
		kHeader("x-other", "me"), kOr(kHeader("to", "zzz"), kHeader("from", "john@")), kNot(kHeader("subject", "re:")),
	}
	for _, raw := range headers {
		plain := &Message{UID: 1, Meta: &metadatapb.MessageMeta{Header: []byte(raw)}}
		digest := Digest([]byte(raw))
		for _, k := range keys {
			m, err := Compile(k, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.Match(context.Background(), plain, nil)
			if err != nil {
				t.Fatal(err)
			}
			// With the digest and the header, and with the digest alone
			// when the key needs nothing else.
			got, err := m.Match(context.Background(), &Message{UID: 1, Digest: digest, Meta: plain.Meta}, nil)
			if err != nil || got != want {
				t.Errorf("%q %v: digest+header %v (%v), header %v", raw, k, got, err, want)
			}
			if m.NeedsDigest() {
				got, err := m.Match(context.Background(), &Message{UID: 1, Digest: digest}, nil)
				if err != nil || got != want {
					t.Errorf("%q %v: digest alone %v (%v), header %v", raw, k, got, err, want)
				}
			}
		}
	}
	// A digest of another version, or a corrupt one, is not used: the
	// header answers.
	m, err := Compile(kHeader("from", "john"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	meta := &metadatapb.MessageMeta{Header: []byte("From: john@x\r\n\r\n")}
	for _, d := range [][]byte{{digestVersion + 1, 1, 4, 'j', 'o', 'h', 'n'}, {digestVersion, 1, 200}} {
		if got, err := m.Match(context.Background(), &Message{UID: 1, Digest: d, Meta: meta}, nil); err != nil || !got {
			t.Errorf("digest %v: %v, %v; want the header's answer", d, got, err)
		}
		if _, err := m.Match(context.Background(), &Message{UID: 1, Digest: d}, nil); err == nil {
			t.Errorf("digest %v without a header: no error", d)
		}
	}
}

func TestMetaFieldsCoverEveryKey(t *testing.T) {
	for _, tc := range []struct {
		key  *metadatapb.SearchKey
		want []uint32
	}{
		{kHeader("x-spam", "y"), []uint32{9}},
		// A digest field beside a key that needs Meta is answered from the
		// header: scans that read Meta give no digests.
		{kAnd(kHeader("from", "a"), &metadatapb.SearchKey{Key: &metadatapb.SearchKey_EmailId{EmailId: "Mabc"}}), []uint32{9, 21, 22}},
		{&metadatapb.SearchKey{Key: &metadatapb.SearchKey_ThreadId{ThreadId: "Tabc"}}, []uint32{21, 22}},
		{kBody("x"), nil},
	} {
		m, err := Compile(tc.key, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !m.NeedsMeta() {
			t.Errorf("%v: NeedsMeta false", tc.key)
		}
		if got := m.MetaFields(); !slices.Equal(got, tc.want) {
			t.Errorf("%v: MetaFields %v, want %v", tc.key, got, tc.want)
		}
	}
}
