package dovecot

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// argon2id cost, the same as postbus's metadata/internal/password.Default.
const (
	argonMemory  = 19456 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// hashPassword encodes a password for the passwd-file: "{PLAIN}pw" or
// "{ARGON2ID}" followed by the PHC string that libsodium, which Dovecot
// uses to verify, parses ($argon2id$v=19$m=…,t=…,p=…$salt$hash, unpadded
// base64).
func hashPassword(scheme, pw string) (string, error) {
	switch scheme {
	case "PLAIN":
		return "{PLAIN}" + pw, nil
	case "ARGON2ID":
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return "", fmt.Errorf("%w: %w", ErrDovecot, err)
		}
		key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
		enc := base64.RawStdEncoding
		return fmt.Sprintf("{ARGON2ID}$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime,
			argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
	}
	return "", fmt.Errorf("%w: password scheme %q", ErrDovecot, scheme)
}
