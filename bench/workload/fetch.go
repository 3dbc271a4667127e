package workload

import (
	"math/rand/v2"

	"github.com/emersion/go-imap/v2"
)

// The FETCH workloads. Each works on its own selected (EXAMINEd, so
// nothing changes) mailbox, through the lean client (leanfetch.go) unless
// Options.Client is ClientGoIMAP.

func init() {
	register(def{"fetch-envelope", "UID FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE): a client syncing a whole mailbox", newFetch(fetchEnvelope)})
	register(def{"fetch-headers", "FETCH n:n+R BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)]: a message list page", newFetch(fetchHeaders)})
	register(def{"fetch-body", "FETCH n BODY.PEEK[] of a random message, streamed", newFetch(fetchBody)})
	register(def{"fetch-bodystructure", "FETCH n:n+R (UID BODYSTRUCTURE): MIME trees of a page", newFetch(fetchBodyStructure)})
}

// fetchSpec is one FETCH workload, for either client. items is the
// command's item list as the lean client sends it: the same bytes go-imap
// writes for opts (up to the order of items), so both clients ask the
// servers for the same work; want are the item names every FETCH response
// must carry.
type fetchSpec struct {
	all   bool // UID FETCH 1:* instead of a random range
	page  bool // a range of Options.Range messages, else one message
	opts  *imap.FetchOptions
	items string
	want  []string
}

var headerFields = []string{"From", "To", "Subject", "Date", "Message-ID"}

var (
	fetchEnvelope = fetchSpec{all: true,
		opts:  &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, Envelope: true},
		items: "(UID FLAGS RFC822.SIZE ENVELOPE)",
		want:  []string{"UID", "FLAGS", "RFC822.SIZE", "ENVELOPE"}}
	fetchHeaders = fetchSpec{page: true,
		opts: &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{
			Specifier: imap.PartSpecifierHeader, HeaderFields: headerFields, Peek: true}}},
		items: `(UID BODY.PEEK[HEADER.FIELDS ("From" "To" "Subject" "Date" "Message-ID")])`,
		// The lexer reads quoted field names as their content.
		want: []string{"UID", "BODY[HEADER.FIELDS (From To Subject Date Message-ID)]"}}
	fetchBody = fetchSpec{
		opts:  &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}},
		items: "(UID BODY.PEEK[])",
		want:  []string{"UID", "BODY[]"}}
	fetchBodyStructure = fetchSpec{page: true,
		opts:  &imap.FetchOptions{UID: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true}},
		items: "(UID BODYSTRUCTURE)",
		want:  []string{"UID", "BODYSTRUCTURE"}}
)

func newFetch(spec fetchSpec) func(e *env) (worker, error) {
	return func(e *env) (worker, error) {
		size := 1
		if spec.page {
			size = e.opt.Range
		}
		if e.opt.Client == ClientGoIMAP {
			s, err := openSession(e, true)
			if err != nil {
				return nil, err
			}
			return &fetchWorker{session: s, all: spec.all, size: size, opts: spec.opts}, nil
		}
		return newLeanFetch(e, spec, size)
	}
}

// fetchWorker runs a FETCH workload through go-imap.
type fetchWorker struct {
	*session
	opts *imap.FetchOptions
	all  bool
	size int // range size
}

func (w *fetchWorker) op(r *rand.Rand) (opResult, error) {
	before := w.traffic()
	var n int64
	err := w.c.Do(func() error {
		var err error
		if w.all {
			var set imap.UIDSet
			set.AddRange(1, 0)
			n, err = drainFetch(w.c.Fetch(set, w.opts))
		} else {
			n, err = drainFetch(w.c.Fetch(w.randomRange(r, w.size), w.opts))
		}
		return err
	})
	return opResult{msgs: n, bytes: w.traffic() - before}, err
}
