package schema

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestThreadRecord(t *testing.T) {
	for _, id := range []string{"", "Tabc", "T" + strings.Repeat("x", 254)} {
		if got, err := DecodeThread(EncodeThread(id)); err != nil || got != id {
			t.Errorf("round trip %q: %q %v", id, got, err)
		}
	}
	good := EncodeThread("Tabc")
	for name, b := range map[string][]byte{
		"empty":       nil,
		"format":      append([]byte{9}, good[1:]...),
		"truncated":   good[:len(good)-1],
		"trailing":    append(append([]byte(nil), good...), 0),
		"long length": {formatThreadV1, 200, 'T'},
	} {
		if _, err := DecodeThread(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

func TestThreadKey(t *testing.T) {
	a := ThreadKey(3, "bob", "a@x")
	p := UserPrefix(3, TableThread, "bob")
	if !bytes.HasPrefix(a, p) || len(a) != len(p)+threadHashLen {
		t.Fatalf("key %x", a)
	}
	// Fixed size whatever the Message-ID, distinct ids, distinct users.
	long := ThreadKey(3, "bob", strings.Repeat("x", 10000))
	if len(long) != len(a) || bytes.Equal(a, ThreadKey(3, "bob", "b@x")) || bytes.Equal(a, ThreadKey(3, "bob2", "a@x")) {
		t.Errorf("keys %x %x", a, long)
	}
}
