package workload

import (
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/target"
)

// session is a logged-in connection, optionally with the mailbox selected;
// most workers embed it.
type session struct {
	e      *env
	c      *target.Conn
	exists uint32
}

func openSession(e *env, selectMailbox bool) (*session, error) {
	c, err := e.t.DialLogin(e.user)
	if err != nil {
		return nil, err
	}
	s := &session{e: e, c: c}
	if selectMailbox {
		if err := s.selectMailbox(e.opt.Mailbox, true); err != nil {
			c.Close()
			return nil, err
		}
		if s.exists == 0 {
			c.Close()
			return nil, fmt.Errorf("%w: %s of user %d is empty: load the corpus first", ErrWorkload, e.opt.Mailbox, e.user)
		}
	}
	return s, nil
}

// selectMailbox runs EXAMINE (readOnly) or SELECT and records EXISTS.
func (s *session) selectMailbox(name string, readOnly bool) error {
	return s.c.Do(func() error {
		sd, err := s.c.Select(name, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
		if err != nil {
			return fmt.Errorf("%w: SELECT %s: %w", ErrWorkload, name, err)
		}
		s.exists = sd.NumMessages
		return nil
	})
}

func (s *session) close() { s.c.Logout() }

func (s *session) traffic() int64 { return s.c.BytesRead() + s.c.BytesWritten() }

// randomRange picks n consecutive sequence numbers inside the mailbox.
func (s *session) randomRange(r *rand.Rand, n int) imap.SeqSet {
	n = max(1, min(n, int(s.exists)))
	first := 1 + r.IntN(int(s.exists)-n+1)
	var set imap.SeqSet
	set.AddRange(uint32(first), uint32(first+n-1))
	return set
}

// drainFetch consumes a FETCH's responses, streaming body literals to
// io.Discard, and returns the number of messages.
func drainFetch(cmd *imapclient.FetchCommand) (int64, error) {
	var n int64
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		n++
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch it := item.(type) {
			case imapclient.FetchItemDataBodySection:
				if it.Literal != nil {
					if _, err := io.Copy(io.Discard, it.Literal); err != nil {
						cmd.Close()
						return n, err
					}
				}
			case imapclient.FetchItemDataBinarySection:
				if it.Literal != nil {
					io.Copy(io.Discard, it.Literal)
				}
			}
		}
	}
	return n, cmd.Close()
}

// criteria translates a corpus query into go-imap's form.
func criteria(q corpus.Query) *imap.SearchCriteria {
	c := &imap.SearchCriteria{}
	switch q.Field {
	case "FROM", "TO", "SUBJECT":
		c.Header = []imap.SearchCriteriaHeaderField{{Key: q.Field, Value: q.Value}}
	case "BODY":
		c.Body = []string{q.Value}
	case "TEXT":
		c.Text = []string{q.Value}
	}
	if q.Seen != nil {
		if *q.Seen {
			c.Flag = append(c.Flag, imap.FlagSeen)
		} else {
			c.NotFlag = append(c.NotFlag, imap.FlagSeen)
		}
	}
	if q.Flagged != nil {
		if *q.Flagged {
			c.Flag = append(c.Flag, imap.FlagFlagged)
		} else {
			c.NotFlag = append(c.NotFlag, imap.FlagFlagged)
		}
	}
	c.Since, c.Before = q.Since, q.Before
	return c
}
