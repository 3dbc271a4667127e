package blobstore

import (
	"encoding/hex"
	"fmt"
	"hash"

	"github.com/postbus/postbus/metadata/base"
)

// IDLen is the length of a valid ID: hex of a 32-byte SHA-256.
const IDLen = 64

// ErrInvalidID is returned (wrapped, with the offending value) for an ID that
// is not 64 lower-case hex characters. It matches base.ErrInvalidArgument
// under errors.Is, so callers can map it without knowing this package.
var ErrInvalidID = fmt.Errorf("blobstore: invalid blob id: %w", base.ErrInvalidArgument)

// ValidID reports whether id is 64 lower-case hex characters. Every store
// checks IDs with it before building a path or key from them, which is what
// keeps an ID from ever naming anything outside the store ("../", "/", ...).
func ValidID(id ID) bool {
	return len(id) == IDLen && isLowerHex(id)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CheckID returns nil for a valid ID and an error wrapping ErrInvalidID (and
// so base.ErrInvalidArgument) otherwise.
func CheckID(id ID) error {
	if ValidID(id) {
		return nil
	}
	if len(id) > 80 {
		id = id[:80] + "..."
	}
	return fmt.Errorf("%w: %q", ErrInvalidID, id)
}

// checkRange validates the offset of an Open call; every length is valid
// (negative means "to the end").
func checkRange(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("blobstore: negative offset %d: %w", offset, base.ErrInvalidArgument)
	}
	return nil
}

// idOf returns the ID of the bytes hashed by h.
func idOf(h hash.Hash) ID {
	var sum [32]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}
