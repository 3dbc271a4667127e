package search

import (
	"bytes"
	"context"
	"io"
	"sync"
)

// readBufSize is how much decoded text is folded and searched at a time.
const readBufSize = 32 << 10

// streamBufs are the buffers of one streamContains call, pooled because
// SEARCH BODY runs once per candidate message.
type streamBufs struct {
	read []byte // decoded text as read, plus an incomplete rune carried over
	win  []byte // folded text: the tail of the previous chunk, then this one
}

var streamPool = sync.Pool{New: func() any {
	return &streamBufs{read: make([]byte, readBufSize), win: make([]byte, 0, 2*readBufSize)}
}}

// streamContains reports whether the text read from r, case-folded,
// contains needle (folded, not empty). It stops reading at the first match.
// A match that straddles two reads is found: the last len(needle)-1 folded
// bytes of each chunk are searched again with the next one, and a UTF-8
// sequence split between reads is completed before it is folded. err is
// r's error other than io.EOF, or the context's.
func streamContains(ctx context.Context, r io.Reader, needle []byte) (found bool, err error) {
	bufs := streamPool.Get().(*streamBufs)
	defer streamPool.Put(bufs)
	buf, win := bufs.read, bufs.win[:0]
	defer func() { bufs.win = win[:0] }()
	keep := len(needle) - 1
	pending := 0 // bytes of an incomplete rune at the start of buf
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		n, rerr := r.Read(buf[pending:])
		data := buf[:pending+n]
		var rest int
		win, rest = appendFold(win, data, rerr != nil)
		if bytes.Contains(win, needle) {
			return true, nil
		}
		if len(win) > keep {
			copy(win, win[len(win)-keep:])
			win = win[:keep]
		}
		pending = copy(buf, data[len(data)-rest:])
		if rerr == io.EOF {
			return false, nil
		}
		if rerr != nil {
			return false, rerr
		}
	}
}
