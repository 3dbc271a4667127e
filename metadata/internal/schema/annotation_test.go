package schema

import (
	"bytes"
	"errors"
	"testing"
)

func TestAnnotationRecords(t *testing.T) {
	u := AnnotationUsage{Entries: 3, Bytes: 1 << 20}
	got, err := DecodeAnnotationUsage(u.Encode())
	if err != nil || got != u {
		t.Fatalf("usage round trip: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {2, 1, 1}, append(u.Encode(), 0)} {
		if _, err := DecodeAnnotationUsage(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeAnnotationUsage(%x) = %v, want ErrCorrupt", bad, err)
		}
	}
	for _, v := range [][]byte{{}, []byte("x"), {0, 0xff}} {
		got, err := DecodeAnnotation(EncodeAnnotation(v))
		if err != nil || !bytes.Equal(got, v) {
			t.Errorf("annotation %x round trip: %x, %v", v, got, err)
		}
	}
	if _, err := DecodeAnnotation(nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("DecodeAnnotation(nil) = %v", err)
	}
	// Entry keys of a mailbox sort by name under its prefix, after the
	// usage key, and never under another mailbox's prefix.
	usage, p1 := AnnotationUsageKey(1, "bob"), AnnotationPrefix(1, "bob", 1)
	a, b := AnnotationKey(1, "bob", 1, "/private/a"), AnnotationKey(1, "bob", 1, "/private/a/b")
	if !(bytes.Compare(usage, p1) < 0 && bytes.HasPrefix(a, p1) && bytes.Compare(a, b) < 0 &&
		!bytes.HasPrefix(AnnotationKey(1, "bob", 2, "/x"), p1) && bytes.HasPrefix(a, UserPrefix(1, TableAnnotation, "bob"))) {
		t.Fatal("annotation key order")
	}
}

// FuzzDecodeAnnotationUsage: no panic, and what decodes round-trips.
func FuzzDecodeAnnotationUsage(f *testing.F) {
	f.Add((&AnnotationUsage{Entries: 1, Bytes: 300}).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := DecodeAnnotationUsage(b)
		if err != nil {
			return
		}
		if again, err := DecodeAnnotationUsage(u.Encode()); err != nil || again != u {
			t.Fatalf("usage does not round-trip: %+v %v", again, err)
		}
	})
}
