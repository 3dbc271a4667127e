package objectid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeyLen is the length of a user's object key.
const KeyLen = 32

// idBytes is how many HMAC bytes an id carries (24 base64url characters).
const idBytes = 18

// Prefixes of the three kinds of id.
const (
	PrefixMailbox = 'F'
	PrefixEmail   = 'M'
	PrefixThread  = 'T'
)

// ErrBadBlobID reports a blob id that is not a hex SHA-256.
var ErrBadBlobID = errors.New("objectid: bad blob id")

// UserKey derives a user's object key from what the command that creates
// the user carries: the name, the password hash (argon2id with a random
// salt, so unpredictable and different each time a name is created) and a
// context string telling creation from migration apart.
func UserKey(user, passwordHash, context string) []byte {
	h := sha256.New()
	for _, s := range []string{"postbus/objectid/v1", user, passwordHash, context} {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}

func derive(key []byte, prefix byte, label string, data []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write(data)
	sum := m.Sum(nil)
	out := make([]byte, 1+base64.RawURLEncoding.EncodedLen(idBytes))
	out[0] = prefix
	base64.RawURLEncoding.Encode(out[1:], sum[:idBytes])
	return string(out)
}

// Mailbox is the MAILBOXID of the user's mailbox id (RFC 8474 §4).
func Mailbox(key []byte, id uint64) string {
	return derive(key, PrefixMailbox, "mailbox", binary.BigEndian.AppendUint64(nil, id))
}

// Email is the EMAILID of a message of the user whose body has blobID
// (hex SHA-256), RFC 8474 §5.1.
func Email(key []byte, blobID string) (string, error) {
	raw, err := hex.DecodeString(blobID)
	if err != nil || len(raw) != sha256.Size {
		return "", fmt.Errorf("%w: %q", ErrBadBlobID, blobID)
	}
	return derive(key, PrefixEmail, "email", raw), nil
}

// ThreadOf is the THREADID of a thread started by the message emailID.
func ThreadOf(emailID string) string {
	if emailID == "" {
		return ""
	}
	return string(PrefixThread) + emailID[1:]
}

// Valid reports whether s is an RFC 8474 §7 objectid:
// 1*255(ALPHA / DIGIT / "_" / "-").
func Valid(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
