package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/target"
)

// ErrLoad is the sentinel wrapped by every error of this package.
var ErrLoad = errors.New("load")

// Options configure Load.
type Options struct {
	// Users are numbered FirstUser … FirstUser+Users-1 (default first: 1).
	Users, FirstUser int
	// Mailbox receives the messages (default INBOX).
	Mailbox string
	// Conns is how many connections APPEND in parallel (default 4).
	Conns int
	// Batch, when above 1, sends up to that many messages per APPEND
	// (MULTIAPPEND, RFC 3502) over a lean connection instead of one per
	// command: Dovecot's APPEND into one large Maildir mailbox slows from
	// ≈ 250 to ≈ 10 messages/s past 35k messages here when each message is
	// its own transaction. The server must advertise MULTIAPPEND.
	Batch int
	// Marker names the marker mailbox that records a complete load; it
	// should identify the corpus (seed and size), e.g. "bench-loaded-s1-n1000".
	Marker string
	// Progress, if set, receives a progress line about once a second.
	Progress io.Writer
}

// Stats summarises a load.
type Stats struct {
	Users, Skipped int
	Messages       int64
	Bytes          int64
	Elapsed        time.Duration
}

func (o *Options) defaults() error {
	if o.Users <= 0 {
		return fmt.Errorf("%w: want at least one user, got %d", ErrLoad, o.Users)
	}
	if o.FirstUser == 0 {
		o.FirstUser = 1
	}
	if o.Mailbox == "" {
		o.Mailbox = "INBOX"
	}
	if o.Conns <= 0 {
		o.Conns = 4
	}
	if o.Marker == "" {
		return fmt.Errorf("%w: no marker name", ErrLoad)
	}
	return nil
}

// Load appends src's messages to every user's mailbox unless already done.
func Load(ctx context.Context, t *target.Target, src corpus.Source, opt Options) (Stats, error) {
	if err := opt.defaults(); err != nil {
		return Stats{}, err
	}
	start := time.Now()
	st := Stats{Users: opt.Users}
	var prog progress
	prog.total = int64(opt.Users) * int64(src.Len())
	stop := prog.run(opt.Progress, t.Name)
	defer stop()
	for u := opt.FirstUser; u < opt.FirstUser+opt.Users; u++ {
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("%w: %w", ErrLoad, err)
		}
		done, err := prepare(t, u, src.Len(), opt)
		if err != nil {
			return st, err
		}
		if done {
			st.Skipped++
			prog.done.Add(int64(src.Len()))
			continue
		}
		if err := loadUser(ctx, t, src, u, opt, &prog, &st); err != nil {
			return st, err
		}
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// dialAppender logs user u in for APPENDs. Where the server offers
// UTF8=ACCEPT it is enabled, as a modern client does: real mail (an mbox
// corpus) may carry raw UTF-8 in its headers, which such a server must
// otherwise refuse (RFC 6855 §4).
func dialAppender(t *target.Target, u int) (*target.Conn, error) {
	c, err := t.DialLogin(u)
	if err != nil {
		return nil, err
	}
	if c.Caps().Has(imap.CapUTF8Accept) {
		if err := c.Do(func() error { _, err := c.Enable(imap.CapUTF8Accept).Wait(); return err }); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// prepare reports whether user u is already loaded; if not, it empties the
// mailbox and removes a stale marker.
func prepare(t *target.Target, u, want int, opt Options) (bool, error) {
	c, err := t.DialLogin(u)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrLoad, err)
	}
	defer c.Logout()
	var markerExists bool
	var count uint32
	err = c.Do(func() error {
		if _, err := c.Status(opt.Marker, &imap.StatusOptions{NumMessages: true}).Wait(); err == nil {
			markerExists = true
		}
		if opt.Mailbox != "INBOX" {
			// CREATE fails harmlessly when the mailbox exists.
			c.Create(opt.Mailbox, nil).Wait()
		}
		sd, err := c.Status(opt.Mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			return err
		}
		count = *sd.NumMessages
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("%w: user %d: STATUS %s: %w", ErrLoad, u, opt.Mailbox, err)
	}
	if markerExists && int(count) == want {
		return true, nil
	}
	return false, c.Do(func() error {
		if markerExists {
			if err := c.Delete(opt.Marker).Wait(); err != nil {
				return fmt.Errorf("%w: user %d: DELETE %s: %w", ErrLoad, u, opt.Marker, err)
			}
		}
		if count == 0 {
			return nil
		}
		if _, err := c.Select(opt.Mailbox, nil).Wait(); err != nil {
			return fmt.Errorf("%w: user %d: SELECT: %w", ErrLoad, u, err)
		}
		all := imap.SeqSet{}
		all.AddRange(1, 0)
		if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			return fmt.Errorf("%w: user %d: STORE \\Deleted: %w", ErrLoad, u, err)
		}
		if err := c.Expunge().Close(); err != nil {
			return fmt.Errorf("%w: user %d: EXPUNGE: %w", ErrLoad, u, err)
		}
		return nil
	})
}

func loadUser(ctx context.Context, t *target.Target, src corpus.Source, u int, opt Options, prog *progress, st *Stats) error {
	next := make(chan int)
	errc := make(chan error, opt.Conns)
	var wg sync.WaitGroup
	var appended, bytes atomic.Int64
	conns := min(opt.Conns, max(1, src.Len()))
	step := 1
	if opt.Batch > 1 {
		step = opt.Batch
	}
	for w := 0; w < conns; w++ {
		wg.Add(1)
		if step > 1 {
			go func() {
				defer wg.Done()
				if err := appendBatches(t, src, u, opt, next, prog, &appended, &bytes); err != nil {
					errc <- err
				}
			}()
			continue
		}
		go func() {
			defer wg.Done()
			c, err := dialAppender(t, u)
			if err != nil {
				errc <- fmt.Errorf("%w: %w", ErrLoad, err)
				return
			}
			defer c.Logout()
			for i := range next {
				msg, err := src.Message(u, i)
				if err == nil {
					err = Append(c, opt.Mailbox, msg)
				}
				if err != nil {
					errc <- fmt.Errorf("%w: user %d message %d: %w", ErrLoad, u, i, err)
					return
				}
				appended.Add(1)
				bytes.Add(int64(len(msg.Raw)))
				prog.done.Add(1)
				prog.bytes.Add(int64(len(msg.Raw)))
			}
		}()
	}
	var err error
feed:
	for i := 0; i < src.Len(); i += step {
		select {
		case next <- i:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = fmt.Errorf("%w: %w", ErrLoad, ctx.Err())
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	st.Messages += appended.Load()
	st.Bytes += bytes.Load()
	if err != nil {
		return err
	}
	c, err := t.DialLogin(u)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLoad, err)
	}
	defer c.Logout()
	if err := c.Do(func() error { return c.Create(opt.Marker, nil).Wait() }); err != nil {
		return fmt.Errorf("%w: user %d: CREATE %s: %w", ErrLoad, u, opt.Marker, err)
	}
	return nil
}

// appendBatches is a Batch worker: for each first index it receives, it
// appends messages [i, i+Batch) with one MULTIAPPEND.
func appendBatches(t *target.Target, src corpus.Source, u int, opt Options, next <-chan int, prog *progress, appended, bytes *atomic.Int64) error {
	// As dialAppender: real mail may carry raw UTF-8 headers.
	c, err := t.DialRaw(u, opt.Mailbox, "UTF8=ACCEPT")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLoad, err)
	}
	defer c.Logout()
	batch := make([]target.RawMessage, 0, opt.Batch)
	for first := range next {
		batch = batch[:0]
		var n int64
		for i := first; i < min(first+opt.Batch, src.Len()); i++ {
			msg, err := src.Message(u, i)
			if err != nil {
				return fmt.Errorf("%w: user %d message %d: %w", ErrLoad, u, i, err)
			}
			batch = append(batch, target.RawMessage{Flags: msg.Flags, Date: msg.Date, Raw: msg.Raw})
			n += int64(len(msg.Raw))
		}
		if err := c.AppendBatch(opt.Mailbox, batch); err != nil {
			return fmt.Errorf("%w: user %d messages %d-%d: %w", ErrLoad, u, first, first+len(batch)-1, err)
		}
		appended.Add(int64(len(batch)))
		bytes.Add(n)
		prog.done.Add(int64(len(batch)))
		prog.bytes.Add(n)
	}
	return nil
}

// Append sends one message with its flags and internal date.
func Append(c *target.Conn, mailbox string, msg corpus.Message) error {
	opts := &imap.AppendOptions{Time: msg.Date}
	for _, f := range msg.Flags {
		opts.Flags = append(opts.Flags, imap.Flag(f))
	}
	return c.Do(func() error {
		cmd := c.Client.Append(mailbox, int64(len(msg.Raw)), opts)
		if _, err := cmd.Write(msg.Raw); err != nil {
			cmd.Close()
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		_, err := cmd.Wait()
		return err
	})
}
