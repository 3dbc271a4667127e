package frontend

import (
	"errors"
	"time"

	"github.com/postbus/postbus/frontend/internal/wire"
)

// Between commands. Once NOTIFY is active the server "MUST" tell the
// client of events "even when no command is in progress" (RFC 5465 §1,
// §3.1), while the session would be blocked reading the next command.
// So the read moves to a helper goroutine, as IDLE's DONE does, and the
// session goroutine waits for either the command or a Watch event, which
// it reports at once.
//
// Exclusive use: the helper goroutine owns the decoder until it hands
// over the command (the session never touches c.dec meanwhile), and the
// session owns the encoder except for the continuation requests ("+")
// the decoder writes for synchronising literals from the helper. c.wmu
// serialises those two writers; a notification written while the client
// is sending a command is fine, untagged responses may come at any time.

// commandResult is what the reader goroutine hands over.
type commandResult struct {
	cmd *wire.Command
	err error
}

// readCommand reads the next command, writing notifications meanwhile
// when NOTIFY is active.
func (c *conn) readCommand() (*wire.Command, error) {
	if !c.notifyActive() || c.sub == nil {
		return c.dec.ReadCommand()
	}
	// A failed push is retried on a timer, not in a busy loop.
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	// What the command just answered left behind (other mailboxes, the
	// list), before waiting.
	if err := c.pushLocked(false, false); err != nil {
		var fe *fatalError
		if errors.As(err, &fe) {
			return nil, err // no reader yet: the caller says BYE
		}
		retry.Reset(idleRetry)
	}
	done := make(chan commandResult, 1)
	go func() {
		cmd, err := c.dec.ReadCommand()
		done <- commandResult{cmd, err}
	}()
	for {
		select {
		case r := <-done:
			return r.cmd, r.err
		case <-c.sub.notify:
		case <-retry.C:
		}
		if !c.notifyActive() {
			continue // an overflow turned NOTIFY off: just wait
		}
		err := c.pushLocked(false, false)
		var fe *fatalError
		switch {
		case errors.As(err, &fe):
			// Say why, end the read too, and wait for the reader so
			// that it is gone when we return.
			if fe.bye != "" && !fe.silent {
				c.wmu.Lock()
				c.bye(fe.bye)
				c.wmu.Unlock()
			}
			c.nc.Close()
			<-done
			return nil, &fatalError{err: err, silent: true}
		case err != nil:
			retry.Reset(idleRetry)
		}
	}
}

// pushLocked writes and flushes pending notifications, serialised with
// the decoder's continuation requests. A *fatalError ends the session
// (nothing said yet). Other errors are logged: the caller tries again
// later.
func (c *conn) pushLocked(idle, force bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	err := c.pushNotifications(idle, force)
	var fe *fatalError
	if errors.As(err, &fe) {
		return err
	}
	if err != nil {
		c.log.Warn("frontend: reading changes for NOTIFY", "err", err)
	}
	if ferr := c.enc.Flush(); ferr != nil {
		return fatal(ferr)
	}
	return err
}
