package search

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// foldRune returns the canonical member of r's simple case-folding orbit:
// the smallest rune that unicode.SimpleFold cycles through from r. Two runes
// are equal under simple case folding exactly when their canonical members
// are equal (e.g. 'k', 'K' and KELVIN SIGN all become 'K').
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}
	if r < foldTableSize {
		return rune(foldTable[r])
	}
	return foldOrbit(r)
}

// foldTableSize covers every rune of one or two UTF-8 bytes (Latin, Greek,
// Cyrillic, Hebrew, Arabic, ...): the text of most mail. Walking the
// SimpleFold orbit for each of them dominated body search time.
const foldTableSize = 0x800

var foldTable = func() (t [foldTableSize]uint16) {
	for r := range t {
		t[r] = uint16(foldOrbit(rune(r)))
	}
	return t
}()

// foldOrbit computes foldRune's result by walking the orbit.
func foldOrbit(r rune) rune {
	lowest := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < lowest {
			lowest = f
		}
	}
	return lowest
}

// appendFold appends the case-folded form of src to dst. When final is
// false, an incomplete UTF-8 sequence at the end of src is not consumed:
// rest is how many trailing bytes of src the caller must present again with
// the next chunk. Invalid bytes are copied unchanged, so that haystack and
// needle treat them the same way.
func appendFold(dst, src []byte, final bool) (out []byte, rest int) {
	for i := 0; i < len(src); {
		b := src[i]
		if b < utf8.RuneSelf {
			if 'a' <= b && b <= 'z' {
				b -= 'a' - 'A'
			}
			dst = append(dst, b)
			i++
			continue
		}
		if !final && !utf8.FullRune(src[i:]) {
			return dst, len(src) - i
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 {
			dst = append(dst, b)
			i++
			continue
		}
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst, 0
}

// foldString returns the case-folded form of s as bytes.
func foldString(s string) []byte {
	out, _ := appendFold(make([]byte, 0, len(s)), []byte(s), true)
	return out
}

// containsFold reports whether the folded form of hay contains needle,
// which must already be folded. scratch is reused to avoid allocating and is
// returned (possibly grown) for the next call.
func containsFold(scratch, hay, needle []byte) (bool, []byte) {
	if len(needle) == 0 {
		return true, scratch
	}
	if len(hay) == 0 {
		return false, scratch
	}
	scratch, _ = appendFold(scratch[:0], hay, true)
	return bytes.Contains(scratch, needle), scratch
}
