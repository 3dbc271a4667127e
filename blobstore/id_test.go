package blobstore

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/postbus/postbus/metadata/base"
)

const sampleID = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" // sha256("hello")

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{sampleID, true},
		{strings.Repeat("0", 64), true},
		{strings.Repeat("f", 64), true},
		{"", false},
		{sampleID[:63], false},
		{sampleID + "0", false},
		{strings.ToUpper(sampleID), false},
		{sampleID[:63] + "g", false},
		{"../" + sampleID[3:], false},
		{sampleID[:10] + "/" + sampleID[11:], false},
		{sampleID[:10] + "\x00" + sampleID[11:], false},
		{sampleID[:62] + "é", false}, // 64 bytes, not hex
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
		err := CheckID(tt.id)
		if (err == nil) != tt.want {
			t.Errorf("CheckID(%q) = %v", tt.id, err)
		}
		if err != nil && (!errors.Is(err, ErrInvalidID) || !errors.Is(err, base.ErrInvalidArgument)) {
			t.Errorf("CheckID(%q) = %v, want ErrInvalidID and ErrInvalidArgument", tt.id, err)
		}
	}
}

// ValidID accepts exactly the lower-case hex encodings of 32 bytes.
func FuzzValidID(f *testing.F) {
	f.Add(sampleID)
	f.Add(strings.ToUpper(sampleID))
	f.Add("../../etc/passwd")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := hex.DecodeString(s)
		want := err == nil && len(b) == 32 && s == strings.ToLower(s)
		if got := ValidID(s); got != want {
			t.Fatalf("ValidID(%q) = %v, want %v", s, got, want)
		}
	})
}

func TestClampRange(t *testing.T) {
	tests := []struct{ size, off, length, want int64 }{
		{100, 0, -1, 100},
		{100, 0, 100, 100},
		{100, 0, 1000, 100},
		{100, 10, 20, 20},
		{100, 90, 20, 10},
		{100, 100, 5, 0},
		{100, 500, -1, 0},
		{100, 5, 0, 0},
		{0, 0, -1, 0},
		{100, 1, 1 << 62, 99},
	}
	for _, tt := range tests {
		if got := clampRange(tt.size, tt.off, tt.length); got != tt.want {
			t.Errorf("clampRange(%d, %d, %d) = %d, want %d", tt.size, tt.off, tt.length, got, tt.want)
		}
	}
}

func TestIDOfKey(t *testing.T) {
	s := &S3{prefix: "p/"}
	tests := []struct {
		key string
		ok  bool
	}{
		{"p/2c/" + sampleID, true},
		{"2c/" + sampleID, false},         // outside the prefix
		{"p/ab/" + sampleID, false},       // wrong fan-out
		{"p/tmp/" + sampleID[:30], false}, // temp object
		{"p/2c/" + sampleID + "x", false}, // trailing junk
		{"p/2c/" + strings.ToUpper(sampleID), false},
		{"p/2c" + sampleID, false},
	}
	for _, tt := range tests {
		id, ok := s.idOfKey(tt.key)
		if ok != tt.ok || (ok && id != sampleID) {
			t.Errorf("idOfKey(%q) = %q, %v; want ok=%v", tt.key, id, ok, tt.ok)
		}
	}
}

func TestHashReader(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		src     string
		maxSize int64
		wantErr error
	}{
		{"no limit", "hello", 0, nil},
		{"at limit", "hello", 5, nil},
		{"over limit", "hello!", 5, base.ErrTooBig},
		{"empty", "", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hr := newHashReader(ctx, strings.NewReader(tt.src), tt.maxSize)
			_, err := io.Copy(io.Discard, hr)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("copy = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && tt.src == "hello" && hr.id() != sampleID {
				t.Fatalf("id = %s, want %s", hr.id(), sampleID)
			}
			if tt.wantErr != nil && !errors.Is(hr.err, tt.wantErr) {
				t.Fatalf("sticky error = %v", hr.err)
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	hr := newHashReader(cctx, strings.NewReader("x"), 0)
	if _, err := hr.Read(make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read with a cancelled ctx = %v", err)
	}
}
