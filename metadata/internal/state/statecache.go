package state

import (
	"container/list"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/postbus/postbus/metadata/internal/schema"
)

// DefaultStateCacheMessages bounds the message states a Store keeps
// decoded in memory (about 130 bytes each: 65 MB).
const DefaultStateCacheMessages = 500_000

// stateCache keeps the decoded state records (UID, modseq, flags, size,
// dates) of recently searched mailboxes. A SEARCH by flags, dates or
// size reads nothing else, and a client repeats such searches (UNSEEN,
// FLAGGED) on the same mailbox: from memory one costs a few nanoseconds
// per message instead of a Pebble step and a record decode, as Dovecot
// answers them from its memory-mapped index.
//
// An entry is valid for the mailbox record it was built with (its
// stamp): every command that changes a state record also moves the
// mailbox's HIGHESTMODSEQ, UIDNEXT or message count, in the same batch,
// so a reader whose snapshot shows the same stamp sees the same states.
// What can bring back an old stamp with other states (a user deleted and
// made again, imported, renamed, a shard received from another node)
// bumps the epoch, which every stamp carries.
type stateCache struct {
	epoch atomic.Uint64
	limit int // messages

	mu      sync.Mutex
	entries map[cacheKey]*list.Element // of *mailboxStates
	lru     list.List                  // most recently used first
	total   int                        // messages held
}

type cacheKey struct {
	shard uint32
	user  string
	mbox  uint64
}

// stamp is what a mailbox's cached states are valid for.
type stamp struct {
	epoch       uint64
	uidValidity uint32
	uidNext     uint32
	highest     uint64
	messages    uint32
}

func stampOf(epoch uint64, mb schema.MailboxRecord) stamp {
	return stamp{epoch: epoch, uidValidity: mb.UIDValidity, uidNext: mb.UIDNext, highest: mb.HighestModSeq, messages: mb.Messages}
}

// mailboxStates are one mailbox's states, ascending by UID. They are
// never modified once built: readers share them without locking.
type mailboxStates struct {
	key    cacheKey
	stamp  stamp
	uids   []uint32
	states []schema.MsgState // HasDates set: dates filled from the meta where missing
	flags  [][]string        // flagList of each state, shared
}

func newStateCache(limit int) *stateCache {
	return &stateCache{limit: limit, entries: map[cacheKey]*list.Element{}}
}

// invalidate drops every entry, now and for reads already running: their
// stamps carry the old epoch.
func (c *stateCache) invalidate() {
	c.epoch.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.lru.Init()
	c.total = 0
}

// get returns the states of k if they are valid for st.
func (c *stateCache) get(k cacheKey, st stamp) *mailboxStates {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.entries[k]
	if el == nil {
		return nil
	}
	e := el.Value.(*mailboxStates)
	if e.stamp != st {
		return nil
	}
	c.lru.MoveToFront(el)
	return e
}

// put keeps e for k, evicting the least recently used entries beyond the
// limit. A mailbox larger than the limit is not kept.
func (c *stateCache) put(k cacheKey, e *mailboxStates) {
	n := len(e.uids)
	if n > c.limit || e.stamp.epoch != c.epoch.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e.key = k
	if old := c.entries[k]; old != nil {
		c.total -= len(old.Value.(*mailboxStates).uids)
		c.lru.Remove(old)
	}
	c.entries[k] = c.lru.PushFront(e)
	c.total += n
	for c.total > c.limit {
		oldest := c.lru.Back()
		victim := oldest.Value.(*mailboxStates)
		c.lru.Remove(oldest)
		delete(c.entries, victim.key)
		c.total -= len(victim.uids)
	}
}

// each calls fn for the states within ranges, ascending by UID, until fn
// says stop or fails.
func (e *mailboxStates) each(ranges []uidRange, fn func(i int) (bool, error)) error {
	for _, r := range ranges {
		i := sort.Search(len(e.uids), func(i int) bool { return e.uids[i] >= r.lo })
		for ; i < len(e.uids) && e.uids[i] <= r.hi; i++ {
			more, err := fn(i)
			if err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// eachState is forEachState from cached states when there are some (nil:
// from the store).
func (v *view) eachState(cached *mailboxStates, mbox uint64, ranges []uidRange, fn func(uid uint32, st schema.MsgState) (bool, error)) error {
	if cached == nil {
		return v.forEachState(mbox, ranges, fn)
	}
	return cached.each(ranges, func(i int) (bool, error) { return fn(cached.uids[i], cached.states[i]) })
}
