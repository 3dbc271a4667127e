package schema

import "crypto/sha256"

const formatThreadV1 byte = 1

// threadHashLen is how many SHA-256 bytes of a Message-ID key the thread
// table: 128 bits, collision-free in practice within one user.
const threadHashLen = 16

// ThreadKey is the thread table entry of a (normalised) Message-ID.
func ThreadKey(shard uint32, user, msgID string) []byte {
	sum := sha256.Sum256([]byte(msgID))
	return append(UserPrefix(shard, TableThread, user), sum[:threadHashLen]...)
}

// EncodeThread returns the value of a thread table entry.
func EncodeThread(threadID string) []byte {
	e := encoder{b: []byte{formatThreadV1}}
	e.str(threadID)
	return e.b
}

// DecodeThread decodes a value written by EncodeThread.
func DecodeThread(b []byte) (string, error) {
	d := decoder{b: b}
	f := d.byte1()
	t := d.str()
	return t, d.finish(f, formatThreadV1)
}
