package frontend

import (
	"errors"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend/internal/wire"
)

// idleRetry is how long IDLE waits before asking again after a failed
// Changes call.
const idleRetry = 2 * time.Second

// RFC 9051 §6.3.13 (RFC 2177). The session goroutine keeps writing updates
// while a helper goroutine waits for the client's DONE line.
func (c *conn) cmdIdle(cmd *wire.Command) error {
	if err := c.continuation("idling"); err != nil {
		return fatal(err)
	}
	// The reader goroutine ends with the DONE line, or when the connection
	// is closed after a fatal error: nothing else reads the decoder then.
	lines := make(chan lineResult, 1)
	go func() {
		line, err := c.dec.ReadLine()
		lines <- lineResult{line, err}
	}()

	var notify <-chan struct{}
	if c.sub != nil {
		notify = c.sub.notify
	}
	// A failed Changes call is retried on a timer, not in a busy loop.
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	armRetry := func() {
		if c.sel != nil && c.sel.stale {
			retry.Reset(idleRetry)
		}
	}
	// Report what happened before IDLE began at once.
	if err := c.idleUpdate(true); err != nil {
		return err
	}
	armRetry()
	for {
		select {
		case <-retry.C:
			if err := c.idleUpdate(false); err != nil {
				return err
			}
			armRetry()
		case r := <-lines:
			if r.err != nil {
				var se *wire.SyntaxError
				if errors.As(r.err, &se) {
					return bad(se.Code, se.Msg)
				}
				return fatal(r.err)
			}
			if !strings.EqualFold(strings.TrimSpace(r.line), "DONE") {
				return bad("", "expected DONE to end IDLE")
			}
			return okCode("", "IDLE terminated")
		case <-notify:
			if err := c.idleUpdate(false); err != nil {
				return err
			}
			armRetry()
		}
	}
}

// idleUpdate reports changes during IDLE: with NOTIFY active "exactly
// the same events as instructed by the client using the NOTIFY command"
// (RFC 5465 §4), otherwise those of the selected mailbox.
func (c *conn) idleUpdate(force bool) error {
	if !c.notifyActive() {
		return c.idleSync(force)
	}
	err := c.pushLocked(true, force)
	var fe *fatalError
	if errors.As(err, &fe) {
		return err
	}
	if c.sel != nil && err != nil {
		c.sel.stale = true // armRetry tries again
	}
	return nil
}

// idleSync sends pending changes of the selected mailbox during IDLE, when
// every kind of update is allowed (RFC 9051 §7.5.1).
func (c *conn) idleSync(force bool) error {
	if c.sel == nil {
		return nil
	}
	if err := c.syncView(true, force); err != nil {
		var fe *fatalError
		if errors.As(err, &fe) {
			return err
		}
		c.log.Warn("frontend: reading mailbox changes during IDLE", "err", err)
	}
	if err := c.enc.Flush(); err != nil {
		return fatal(err)
	}
	return nil
}

type lineResult struct {
	line string
	err  error
}
