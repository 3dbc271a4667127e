package metadata

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/metadata/internal/hub"
	"github.com/postbus/postbus/metadata/internal/search"
	"github.com/postbus/postbus/metadata/internal/state"
)

// The body index: a trigram index of message text that narrows SEARCH
// BODY/TEXT to candidate messages, which are then matched exactly
// (DESIGN.md "Body search keeps IMAP semantics"). It is derived data
// (schema table 0x30, textindex.go there), built in segments of
// consecutive UIDs by one background goroutine per node:
//
//   - Every committed change of a mailbox (through the state store's
//     publisher) and every body search of it queue the mailbox. The worker
//     takes queued mailboxes in turn and does at most one segment of work
//     on each before moving to the next, so a huge mailbox cannot starve
//     the others.
//   - Work, in order: drop segments a search found damaged; fill a gap
//     between segments (a dropped one); index the unindexed tail once it
//     holds SegmentSize messages; rebuild a segment of which more than
//     half the messages were expunged, merged with the following ones
//     while they fit in one segment; merge 8 consecutive full segments
//     into one from their postings (bodyindex_merge.go), so that a
//     lookup visits about n/(8*SegmentSize) segments.
//   - The worker is paced: after building a segment it sleeps twice as
//     long as the build took, so it uses at most about a third of one
//     core, and it reads one message at a time. A segment holds at most
//     maxSegmentPostings postings, so long texts make shorter segments.
//
// A search never waits for the index: what no segment covers is scanned.

// BodyIndexOptions configures the body index.
type BodyIndexOptions struct {
	// Disabled turns the index off: nothing is built, and searches read
	// every candidate message as they would without an index.
	Disabled bool
	// SegmentSize is how many messages one segment indexes; the tail of a
	// mailbox (messages above the last segment, always scanned) stays
	// below it. 0 means DefaultSegmentSize.
	SegmentSize int
	// maxPostings overrides maxSegmentPostings when set, and noPace
	// turns off the worker's sleeps (tests).
	maxPostings int
	noPace      bool
}

// DefaultSegmentSize balances the unindexed tail a search scans (up to
// this many messages) against the segments it looks up (a mailbox of n
// messages has about n/DefaultSegmentSize of them).
const DefaultSegmentSize = 512

// maxQueued bounds the queue of mailboxes waiting for the indexer; a
// mailbox left out is queued again by its next change or body search.
const maxQueued = 16384

// paceFactor is how much longer than a build the worker sleeps after it:
// indexing takes at most a third of one core, leaving the rest to
// APPEND and the other RPCs.
const paceFactor = 2

// maxPause bounds the pacing sleep after one segment build.
const maxPause = 2 * time.Second

// settle is how long the idle worker lets changes accumulate after the
// first one wakes it.
const settle = 200 * time.Millisecond

// mboxRef names one mailbox of one user.
type mboxRef struct {
	user string
	mbox uint64
}

// bodyIndexer owns the background indexing of one node.
type bodyIndexer struct {
	n       *Node
	segSize int
	// pace enables the sleeps of the worker.
	pace bool
	// maxPostings is maxSegmentPostings (tests lower it).
	maxPostings int
	wake        chan struct{}
	done        chan struct{}

	// stepMu serialises indexStep; builder is used under it.
	stepMu  sync.Mutex
	builder *search.SegmentBuilder

	mu struct {
		sync.Mutex
		queue   []mboxRef
		queued  map[mboxRef]bool
		corrupt map[mboxRef][]uint32 // segment starts a search could not decode
		// checked is the expunged-message count of each mailbox when its
		// segments were last found dense enough, so that the per-segment
		// count runs again only after new expunges.
		checked map[mboxRef]uint64
	}
}

func newBodyIndexer(n *Node, opts BodyIndexOptions) *bodyIndexer {
	x := &bodyIndexer{
		n: n, segSize: opts.SegmentSize, pace: !opts.noPace, maxPostings: maxSegmentPostings,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	if x.segSize <= 0 {
		x.segSize = DefaultSegmentSize
	}
	if opts.maxPostings > 0 {
		x.maxPostings = opts.maxPostings
	}
	x.mu.queued = make(map[mboxRef]bool)
	x.mu.corrupt = make(map[mboxRef][]uint32)
	x.mu.checked = make(map[mboxRef]uint64)
	return x
}

// notify queues a mailbox for the worker. It never blocks.
func (x *bodyIndexer) notify(user string, mbox uint64) {
	ref := mboxRef{user, mbox}
	x.mu.Lock()
	if !x.mu.queued[ref] && len(x.mu.queue) < maxQueued {
		x.mu.queued[ref] = true
		x.mu.queue = append(x.mu.queue, ref)
	}
	x.mu.Unlock()
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// reportCorrupt records that a search could not decode the segment
// starting at start, so that the worker drops and rebuilds it.
func (x *bodyIndexer) reportCorrupt(user string, mbox uint64, start uint32) {
	ref := mboxRef{user, mbox}
	x.mu.Lock()
	if len(x.mu.corrupt) < maxQueued {
		x.mu.corrupt[ref] = append(x.mu.corrupt[ref], start)
	}
	x.mu.Unlock()
	x.notify(user, mbox)
}

func (x *bodyIndexer) pop() (mboxRef, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.mu.queue) == 0 {
		return mboxRef{}, false
	}
	ref := x.mu.queue[0]
	x.mu.queue[0] = mboxRef{}
	x.mu.queue = x.mu.queue[1:]
	delete(x.mu.queued, ref)
	return ref, true
}

// run is the worker: it ends when ctx is cancelled (Node.Close).
func (x *bodyIndexer) run(ctx context.Context) {
	defer close(x.done)
	for {
		ref, ok := x.pop()
		if !ok {
			select {
			case <-x.wake:
			case <-ctx.Done():
				return
			}
			// Let a burst of changes (an APPEND per message) queue up and
			// coalesce, rather than examine a mailbox after each one.
			if x.pace && !sleepCtx(ctx, settle) {
				return
			}
			continue
		}
		start := time.Now()
		more, err := x.indexStep(ctx, ref)
		if ctx.Err() != nil {
			return
		}
		switch {
		case err == nil:
		case errors.Is(err, base.ErrNoSuchMailbox), errors.Is(err, base.ErrNoSuchUser):
			x.forget(ref)
		default:
			x.n.log.Warn("metadata: body index", "user", ref.user, "mailbox", ref.mbox, "err", err)
		}
		if more {
			x.notify(ref.user, ref.mbox)
		}
		if x.pace && more && !sleepCtx(ctx, min(paceFactor*time.Since(start), maxPause)) {
			return
		}
	}
}

// sleepCtx sleeps for d and reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// forget drops what the indexer remembers of a mailbox that is gone.
func (x *bodyIndexer) forget(ref mboxRef) {
	x.mu.Lock()
	delete(x.mu.checked, ref)
	delete(x.mu.corrupt, ref)
	x.mu.Unlock()
}

// indexPublisher forwards the state store's events to the hub and queues
// the mailboxes they name for the indexer.
type indexPublisher struct {
	hub *hub.Hub
	idx *bodyIndexer
}

func (p indexPublisher) Publish(user string, events ...hub.Event) {
	p.hub.Publish(user, events...)
	for _, e := range events {
		if e.MailboxID != 0 && e.MailboxID != state.LogoutMailbox {
			p.idx.notify(user, e.MailboxID)
		}
	}
}

var _ state.Publisher = indexPublisher{}
