package target

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// RawMessage is one message of a MULTIAPPEND: its flags, internal date
// and octets.
type RawMessage struct {
	Flags []string
	Date  time.Time
	Raw   []byte
}

// AppendBatch appends msgs to mailbox with one APPEND command carrying
// them all (MULTIAPPEND, RFC 3502: atomic, one transaction on the server).
// Loading a large mailbox this way lets a server that updates an index per
// command (Dovecot) do it once per batch instead of once per message.
// Literals are synchronizing, each sent after the server's continuation
// request, so it works with or without LITERAL+. A refusal (NO, BAD)
// wraps ErrRefused and leaves the connection usable.
func (c *RawConn) AppendBatch(mailbox string, msgs []RawMessage) error {
	if c.broken != nil {
		return fmt.Errorf("%w: connection unusable after: %w", ErrTarget, c.broken)
	}
	if len(msgs) == 0 {
		return nil
	}
	c.nc.SetDeadline(time.Now().Add(c.timeout))
	defer c.nc.SetDeadline(time.Time{})
	c.nextTag()
	c.out = append(append(c.out[:0], c.tag...), " APPEND "...)
	if !canQuote(mailbox) {
		return fmt.Errorf("%w: mailbox name %q needs a literal", ErrTarget, mailbox)
	}
	c.out = appendQuoted(c.out, mailbox)
	for _, m := range msgs {
		c.out = append(c.out, " ("...)
		for i, f := range m.Flags {
			if i > 0 {
				c.out = append(c.out, ' ')
			}
			c.out = append(c.out, f...)
		}
		c.out = append(c.out, ')')
		if !m.Date.IsZero() {
			// RFC 9051 §9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz".
			c.out = append(append(append(c.out, ' ', '"'), m.Date.Format("_2-Jan-2006 15:04:05 -0700")...), '"')
		}
		c.out = append(strconv.AppendInt(append(c.out, " {"...), int64(len(m.Raw)), 10), '}', '\r', '\n')
		if _, err := c.nc.Write(c.out); err != nil {
			c.broken = fmt.Errorf("%w: %w", ErrTarget, err)
			return c.broken
		}
		if err := c.awaitContinuation("APPEND"); err != nil {
			// A tagged refusal ends the command; anything else leaves the
			// stream out of step.
			if !errors.Is(err, ErrRefused) {
				c.broken = err
			}
			return err
		}
		if _, err := c.nc.Write(m.Raw); err != nil {
			c.broken = fmt.Errorf("%w: %w", ErrTarget, err)
			return c.broken
		}
		c.out = c.out[:0]
	}
	c.out = append(c.out, '\r', '\n')
	if _, err := c.nc.Write(c.out); err != nil {
		c.broken = fmt.Errorf("%w: %w", ErrTarget, err)
		return c.broken
	}
	err := c.await("APPEND")
	if err != nil && !errors.Is(err, ErrRefused) {
		c.broken = err
	}
	return err
}

// Enable sends ENABLE with the given capabilities (RFC 5161), which is
// allowed only before a mailbox is selected (see DialRaw); a server that
// does not know one ignores it, so only a refusal of the command (wrapping
// ErrRefused) is an error.
func (c *RawConn) Enable(caps ...string) error {
	if c.broken != nil {
		return fmt.Errorf("%w: connection unusable after: %w", ErrTarget, c.broken)
	}
	c.nc.SetDeadline(time.Now().Add(c.timeout))
	defer c.nc.SetDeadline(time.Time{})
	c.nextTag()
	c.out = append(append(c.out[:0], c.tag...), " ENABLE"...)
	for _, cp := range caps {
		c.out = append(append(c.out, ' '), cp...)
	}
	c.out = append(c.out, '\r', '\n')
	if _, err := c.nc.Write(c.out); err != nil {
		c.broken = fmt.Errorf("%w: %w", ErrTarget, err)
		return c.broken
	}
	err := c.await("ENABLE")
	if err != nil && !errors.Is(err, ErrRefused) {
		c.broken = err
	}
	return err
}
