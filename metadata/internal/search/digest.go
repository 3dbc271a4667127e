package search

import (
	"bytes"
	"encoding/binary"
)

// A digest holds, for one message, what the FROM, TO, CC, BCC and SUBJECT
// keys compare with: every occurrence of those fields, decoded and folded
// exactly as headerNode does it, and for address fields the unquoted
// variant too. It is computed once when the message is stored, so that
// those searches, the common ones, read a record of a few hundred bytes
// per message instead of parsing the header block each time.
//
// Layout: digestVersion, then entries of [code][uvarint length][folded
// value]. The version changes whenever the matching rules do; a digest of
// another version is ignored (the header is parsed instead), so stored
// digests never change an answer.
const digestVersion byte = 1

// digestFields are the fields a digest holds, by code (index + 1).
var digestFields = []string{"from", "to", "cc", "bcc", "subject"}

// unquotedBit marks the unquoted variant of an address field's value.
const unquotedBit = 0x80

// digestCode is the code of a lower-case field name, or 0.
func digestCode(field string) byte {
	for i, f := range digestFields {
		if f == field {
			return byte(i + 1)
		}
	}
	return 0
}

// Digest computes the digest of a raw header block.
func Digest(rawHeader []byte) []byte {
	h := parseHeader(rawHeader)
	out := []byte{digestVersion}
	var scratch []byte
	for i := range h.fields {
		code := byte(0)
		for c, f := range digestFields {
			if equalFoldASCII(h.fields[i].name, f) {
				code = byte(c + 1)
				break
			}
		}
		if code == 0 {
			continue
		}
		v := h.value(i)
		scratch, _ = appendFold(scratch[:0], v, true)
		out = appendEntry(out, code, scratch)
		if addressFields[digestFields[code-1]] && (bytes.IndexByte(v, '"') >= 0 || bytes.IndexByte(v, '\\') >= 0) {
			scratch, _ = appendFold(scratch[:0], unquote(v), true)
			out = appendEntry(out, code|unquotedBit, scratch)
		}
	}
	return out
}

func appendEntry(out []byte, code byte, v []byte) []byte {
	out = append(out, code)
	out = binary.AppendUvarint(out, uint64(len(v)))
	return append(out, v...)
}

// digestMatch answers a header key from a digest: ok is false when the
// digest cannot answer (another version, or corrupt), and the caller
// parses the header instead.
func digestMatch(d []byte, code byte, needle []byte) (match, ok bool) {
	if len(d) == 0 || d[0] != digestVersion {
		return false, false
	}
	for d = d[1:]; len(d) > 0; {
		c := d[0]
		n, k := binary.Uvarint(d[1:])
		if k <= 0 || n > uint64(len(d)-1-k) {
			return false, false
		}
		v := d[1+k : 1+k+int(n)]
		d = d[1+k+int(n):]
		if c&^unquotedBit != code {
			continue
		}
		// An empty needle matches any message that has the field; the
		// folded value of an empty one is empty, so Contains says so.
		if bytes.Contains(v, needle) {
			return true, true
		}
	}
	return false, true
}
