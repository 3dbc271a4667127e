// Package password hashes and verifies user passwords with argon2id
// (RFC 9106), in the PHC string format so the parameters travel with the
// hash: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded base64).
//
// Verification is constant-time in the compared bytes, and Dummy lets a
// caller spend the same work for an unknown user as for a known one.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default follows the OWASP recommendation m=19 MiB, t=2, p=1.
var Default = Params{Memory: 19456, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// ErrMalformed reports a stored hash that does not parse.
var ErrMalformed = errors.New("password: malformed hash")

// Hash returns the encoded argon2id hash of pw with a fresh random salt.
func Hash(pw string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := idKey([]byte(pw), salt, p, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether pw matches the encoded hash.
func Verify(pw, encoded string) (bool, error) {
	p, salt, key, err := parse(encoded)
	if err != nil {
		return false, err
	}
	got := idKey([]byte(pw), salt, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// slots bounds the argon2id computations running at once. Each one holds
// Params.Memory (19 MiB by default) until it ends, so fifty logins at once
// would need about 1 GB (the bench harness measured it): a login flood
// would be a memory-exhaustion attack. argon2id is CPU-bound, so GOMAXPROCS
// slots keep the CPU as busy as unbounded concurrency would; the rest wait
// their turn and memory stays below slots × Memory.
var slots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// running and peak count computations in progress, for tests.
var running, peak atomic.Int32

func idKey(pw, salt []byte, p Params, n uint32) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	r := running.Add(1)
	defer running.Add(-1)
	for {
		old := peak.Load()
		if r <= old || peak.CompareAndSwap(old, r) {
			break
		}
	}
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, n)
}

// dummyHash is verified against for unknown users so that the answer takes
// as long as for a known user with a wrong password.
var dummyHash = func() string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		Default.Memory, Default.Time, Default.Threads,
		enc.EncodeToString(make([]byte, saltLen)), enc.EncodeToString(make([]byte, keyLen)))
}()

// Dummy spends the work of one Verify and always fails.
func Dummy(pw string) {
	_, _ = Verify(pw, dummyHash)
}

func parse(s string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformed
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, ErrMalformed
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil {
		return p, nil, nil, ErrMalformed
	}
	// Bound the cost so a corrupt record cannot make us allocate gigabytes.
	if p.Time == 0 || p.Time > 16 || threads == 0 || threads > 64 || p.Memory < 8*threads || p.Memory > 1<<18 {
		return p, nil, nil, ErrMalformed
	}
	p.Threads = uint8(threads)
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, ErrMalformed
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}
