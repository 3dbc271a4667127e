package lmtp

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postbus/postbus/frontend/deliver"
	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// Replies (RFC 3463 enhanced codes).
var (
	errUnknownUser = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	errBadAddress  = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax"}
	errOverQuota   = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}
	errTooBig      = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}
	errTemporary   = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
	errNoData      = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "DATA is only accepted in LMTP mode"}
)

// rcpt is one accepted recipient: the address as given (for the status
// reply) and where its copy goes.
type rcpt struct {
	addr, user, mailbox string
}

// session is one LMTP transaction state; go-smtp calls it from one
// goroutine per connection.
type session struct {
	srv    *Server
	remote string
	from   string
	rcpts  []rcpt
}

var _ smtp.LMTPSession = (*session)(nil)

func (s *session) Reset() {
	s.from = ""
	s.rcpts = nil
}

func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.Reset()
	s.from = from
	return nil
}

func (s *session) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.srv.cfg.Timeout)
}

// Rcpt resolves the recipient to a user and mailbox now, so that an
// unknown user is refused before the body is sent (RFC 2033 §4.2).
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) (err error) {
	defer func() {
		if err != nil {
			s.srv.count(err)
		}
	}()
	r, ok := parseRecipient(to)
	if !ok {
		return errBadAddress
	}
	ctx, cancel := s.ctx()
	defer cancel()
	md := s.srv.cfg.Deliverer.Metadata
	user := ""
	for _, cand := range r.userCandidates() {
		_, err := md.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: cand, Name: "INBOX"})
		err = metadatapb.FromStatus(err)
		if err == nil {
			user = cand
			break
		}
		if !errors.Is(err, base.ErrNoSuchUser) && !errors.Is(err, base.ErrNoSuchMailbox) && !errors.Is(err, base.ErrInvalidArgument) && !errors.Is(err, base.ErrInvalidName) {
			s.srv.log.Warn("lmtp: recipient lookup", "rcpt", to, "err", err)
			return errTemporary
		}
	}
	if user == "" {
		return errUnknownUser
	}
	mailbox, err := s.detailMailbox(ctx, user, r.detail)
	if err != nil {
		s.srv.log.Warn("lmtp: detail mailbox lookup", "rcpt", to, "err", err)
		return errTemporary
	}
	s.rcpts = append(s.rcpts, rcpt{addr: to, user: user, mailbox: mailbox})
	return nil
}

// detailMailbox returns the mailbox a "+detail" names: itself when it
// exists, else a mailbox whose name matches case-insensitively, else INBOX.
func (s *session) detailMailbox(ctx context.Context, user, detail string) (string, error) {
	if detail == "" {
		return "INBOX", nil
	}
	md := s.srv.cfg.Deliverer.Metadata
	mb, err := md.GetMailbox(ctx, &metadatapb.GetMailboxRequest{User: user, Name: detail})
	err = metadatapb.FromStatus(err)
	switch {
	case err == nil:
		return mb.Name, nil
	case errors.Is(err, base.ErrInvalidName), errors.Is(err, base.ErrInvalidArgument):
		return "INBOX", nil
	case !errors.Is(err, base.ErrNoSuchMailbox):
		return "", err
	}
	list, err := md.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: user})
	if err != nil {
		return "", metadatapb.FromStatus(err)
	}
	for _, mb := range list.Mailboxes {
		if strings.EqualFold(mb.Name, detail) {
			return mb.Name, nil
		}
	}
	return "INBOX", nil
}

// Data is SMTP's single-reply DATA, which an LMTP server never uses.
func (s *session) Data(r io.Reader) error { return errNoData }

// LMTPData stores the body once and appends it for each recipient, setting
// each recipient's status as soon as its append is durable (go-smtp writes
// the replies in RCPT order).
func (s *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	ctx, cancel := s.ctx()
	defer cancel()
	start := time.Now()
	p, err := s.srv.cfg.Deliverer.Prepare(ctx, r)
	if err != nil {
		var se *smtp.SMTPError
		switch {
		case errors.As(err, &se): // the reader's own error (size limit, I/O)
			err = se
		case errors.Is(err, base.ErrTooBig):
			err = errTooBig
		default:
			s.srv.log.Warn("lmtp: storing message", "from", s.from, "remote", s.remote, "err", err)
			err = errTemporary
		}
		for range s.rcpts {
			s.srv.count(err) // the one reply counts for every recipient
		}
		return err
	}
	done := map[rcpt]error{}
	for _, rc := range s.rcpts {
		key := rcpt{user: rc.user, mailbox: rc.mailbox}
		err, seen := done[key]
		if !seen {
			err = s.appendOne(ctx, p, rc)
			done[key] = err
		}
		status.SetStatus(rc.addr, err)
		s.srv.count(err)
	}
	s.srv.log.Info("lmtp: delivered", "from", s.from, "remote", s.remote, "recipients", len(s.rcpts),
		"blob", p.BlobID(), "size", p.Size(), "duration", time.Since(start))
	return nil
}

// appendOne appends the body for one recipient and maps the outcome to
// its reply (nil: 250).
func (s *session) appendOne(ctx context.Context, p *deliver.Prepared, rc rcpt) error {
	_, err := p.AppendTo(ctx, rc.user, rc.mailbox, nil, time.Time{}, true)
	if errors.Is(err, base.ErrNoSuchMailbox) && rc.mailbox != "INBOX" {
		// The detail mailbox went away since RCPT: INBOX still exists.
		_, err = p.AppendTo(ctx, rc.user, "INBOX", nil, time.Time{}, true)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, base.ErrOverQuota):
		return errOverQuota
	case errors.Is(err, base.ErrNoSuchUser), errors.Is(err, base.ErrNoSuchMailbox):
		return errUnknownUser // deleted between RCPT and DATA
	case errors.Is(err, base.ErrTooBig):
		return errTooBig
	}
	s.srv.log.Warn("lmtp: append", "rcpt", rc.addr, "user", rc.user, "mailbox", rc.mailbox, "err", err)
	return errTemporary
}
