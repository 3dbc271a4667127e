package message

import "github.com/postbus/postbus/frontend/internal/wire"

// ApplyPartial applies a section's <offset.count> to its content b (nil:
// all of it), as OpenSection does: an offset past the end gives an empty
// result (RFC 9051 §6.4.5).
func ApplyPartial(b []byte, partial *wire.Partial) []byte {
	return applyPartial(b, partial)
}
