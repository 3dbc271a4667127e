package gc

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/proto/metadatapb"
)

// ErrUnsortedRefs reports a node whose reference stream is not ascending.
var ErrUnsortedRefs = errors.New("gc: blob reference stream is not ascending")

// refStream is one node's ListBlobRefs stream with a look-ahead chunk.
type refStream struct {
	name  string
	recv  func() (*metadatapb.BlobRefs, error)
	chunk []string
	last  string // the last id received (order check across chunks)
	done  bool
}

// fill makes chunk non-empty unless the stream ended.
func (s *refStream) fill() error {
	for len(s.chunk) == 0 && !s.done {
		m, err := s.recv()
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("gc: blob references of %s: %w", s.name, metadatapb.FromStatus(err))
		}
		if err := s.check(m.Ids); err != nil {
			return err
		}
		s.chunk = m.Ids
	}
	return nil
}

// check validates a received chunk: well-formed ids, strictly ascending
// within the chunk and after the previous chunk. A node that broke the
// order could make the sweep delete a blob it references later in the
// stream, so the whole chunk is checked on arrival.
func (s *refStream) check(ids []string) error {
	prev := s.last
	if len(s.chunk) > 0 {
		prev = s.chunk[len(s.chunk)-1]
	}
	for _, id := range ids {
		if !blobstore.ValidID(id) {
			return fmt.Errorf("gc: %s: bad blob id %q", s.name, id)
		}
		if prev != "" && id <= prev {
			return fmt.Errorf("%w: %s: %s after %s", ErrUnsortedRefs, s.name, id, prev)
		}
		prev = id
	}
	if len(ids) > 0 {
		s.last = ids[len(ids)-1]
	}
	return nil
}

func (s *refStream) head() string { return s.chunk[0] }

// advance drops the head.
func (s *refStream) advance() error {
	s.chunk = s.chunk[1:]
	return s.fill()
}

// refHeap orders streams by head.
type refHeap []*refStream

func (h refHeap) Len() int           { return len(h) }
func (h refHeap) Less(i, j int) bool { return h[i].head() < h[j].head() }
func (h refHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *refHeap) Push(x any)        { *h = append(*h, x.(*refStream)) }
func (h *refHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merger yields the ascending union of the streams without duplicates.
type merger struct {
	h    refHeap
	cur  string // the current smallest id; "" when exhausted
	seen int64  // distinct ids yielded so far
}

// Source is a node the collector marks from: a name for messages and its
// Admin client.
type Source struct {
	Name   string
	Client metadatapb.AdminClient
}

// openMerger opens every source's stream and waits for its first chunk, so
// that when it returns every node has taken its snapshot.
func openMerger(ctx context.Context, sources []Source) (*merger, error) {
	m := &merger{}
	for _, src := range sources {
		st, err := src.Client.ListBlobRefs(ctx, &metadatapb.ListBlobRefsRequest{})
		if err != nil {
			return nil, fmt.Errorf("gc: blob references of %s: %w", src.Name, metadatapb.FromStatus(err))
		}
		s := &refStream{name: src.Name, recv: st.Recv}
		if err := s.fill(); err != nil {
			return nil, err
		}
		if len(s.chunk) > 0 {
			m.h = append(m.h, s)
		}
	}
	heap.Init(&m.h)
	return m, m.settle()
}

// settle sets cur to the smallest head.
func (m *merger) settle() error {
	if len(m.h) == 0 {
		m.cur = ""
		return nil
	}
	m.cur = m.h[0].head()
	m.seen++
	return nil
}

// next moves past cur (in every stream whose head it is).
func (m *merger) next() error {
	cur := m.cur
	for len(m.h) > 0 && m.h[0].head() == cur {
		s := m.h[0]
		if err := s.advance(); err != nil {
			return err
		}
		if len(s.chunk) == 0 {
			heap.Pop(&m.h)
		} else {
			heap.Fix(&m.h, 0)
		}
	}
	return m.settle()
}

// skipTo advances until cur >= id (or the merge ends) and reports whether
// id is referenced; ids it passes over (referenced but not in the store)
// are counted in missing.
func (m *merger) skipTo(id string, missing *int64) (bool, error) {
	for m.cur != "" && m.cur < id {
		*missing++
		if err := m.next(); err != nil {
			return false, err
		}
	}
	return m.cur == id, nil
}
