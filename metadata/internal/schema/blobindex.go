package schema

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// blobIDLen is the length of a raw blob id (a SHA-256) in a blob index key.
const blobIDLen = 32

// BlobIndexPrefix is the prefix of the blob index entries of one body in one
// mailbox; blobID is the hex SHA-256 of the body.
func BlobIndexPrefix(shard uint32, user string, mbox uint64, blobID string) ([]byte, error) {
	raw, err := hex.DecodeString(blobID)
	if err != nil || len(raw) != blobIDLen {
		return nil, fmt.Errorf("%w: blob id %q", ErrCorrupt, blobID)
	}
	return append(MailboxPrefix(shard, TableBlobIndex, user, mbox), raw...), nil
}

// BlobIndexKey is the blob index entry of the message uid whose body is
// blobID.
func BlobIndexKey(shard uint32, user string, mbox uint64, blobID string, uid uint32) ([]byte, error) {
	p, err := BlobIndexPrefix(shard, user, mbox, blobID)
	if err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint32(p, uid), nil
}

// BlobIDFromMeta returns the blob id (field 1) of a raw MessageMeta without
// decoding the rest of it (the header and MIME tree can be large).
func BlobIDFromMeta(meta []byte) (string, error) {
	for len(meta) > 0 {
		num, typ, n := protowire.ConsumeTag(meta)
		if n < 0 {
			return "", fmt.Errorf("%w: meta tag: %v", ErrCorrupt, protowire.ParseError(n))
		}
		meta = meta[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(meta)
			if n < 0 {
				return "", fmt.Errorf("%w: meta blob id: %v", ErrCorrupt, protowire.ParseError(n))
			}
			return string(v), nil
		}
		n = protowire.ConsumeFieldValue(num, typ, meta)
		if n < 0 {
			return "", fmt.Errorf("%w: meta field %d: %v", ErrCorrupt, num, protowire.ParseError(n))
		}
		meta = meta[n:]
	}
	return "", fmt.Errorf("%w: meta without blob id", ErrCorrupt)
}

// MsgKeyParts splits a message-state or meta key into its user, mailbox
// and UID (the user name is NUL-terminated and contains no NUL).
func MsgKeyParts(k []byte) (shard uint32, user string, mbox uint64, uid uint32, err error) {
	if len(k) < 5 {
		return 0, "", 0, 0, fmt.Errorf("%w: short message key %x", ErrCorrupt, k)
	}
	rest := k[5:]
	for i, c := range rest {
		if c != 0 {
			continue
		}
		tail := rest[i+1:]
		if len(tail) != 12 {
			break
		}
		return binary.BigEndian.Uint32(k), string(rest[:i]), binary.BigEndian.Uint64(tail), binary.BigEndian.Uint32(tail[8:]), nil
	}
	return 0, "", 0, 0, fmt.Errorf("%w: message key %x", ErrCorrupt, k)
}
