package state

import (
	"github.com/postbus/postbus/internal/headerfields"
	"github.com/postbus/postbus/proto/metadatapb"
)

// arenaSize is the size of one arena block: a page of filtered headers
// (a few hundred bytes each) shares a handful of allocations.
const arenaSize = 16 << 10

// sectionArena hands out the filtered header sections of a read from
// shared blocks. A section is never written again once handed out (a new
// block starts when one is full), so records may keep them.
type sectionArena struct {
	buf  []byte
	outs [][]byte // the next records' HeaderSections slices
}

// compileHeaders compiles the filters of a read once.
func compileHeaders(fs []*metadatapb.HeaderFilter) []*headerfields.Set {
	sets := make([]*headerfields.Set, len(fs))
	for i, f := range fs {
		sets[i] = headerfields.Compile(f.GetFields(), f.GetNot())
	}
	return sets
}

// listed reports whether every filter can be answered from list headers.
func listed(fs []*headerfields.Set) bool {
	for _, f := range fs {
		if !f.Listed() {
			return false
		}
	}
	return len(fs) > 0
}

// filter answers each of fs on hdr: the header stored in the meta
// (MessageMeta.header: at most the analyser's limit of the top-level
// header, which is also all the frontend reads of the blob for a
// HEADER.FIELDS), or its list header when every filter is listed.
func (a *sectionArena) filter(hdr []byte, fs []*headerfields.Set) [][]byte {
	if len(a.outs) < len(fs) {
		a.outs = make([][]byte, max(recordBlock*len(fs), len(fs)))
	}
	out := a.outs[:len(fs):len(fs)]
	a.outs = a.outs[len(fs):]
	for i, f := range fs {
		// Filter's output is at most the header plus the CRLF it adds
		// after a last line without one.
		need := len(hdr) + 2
		if cap(a.buf)-len(a.buf) < need {
			a.buf = make([]byte, 0, max(arenaSize, need))
		}
		start := len(a.buf)
		a.buf = f.Filter(a.buf, hdr)
		out[i] = a.buf[start:len(a.buf):len(a.buf)]
	}
	return out
}
