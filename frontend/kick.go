package frontend

// Forced logout (issue 6 "Admin": `postbus kick NAME`). The user's node
// publishes a Watch event with logout set (metadata Admin.Logout, also
// sent after Admin.RenameUser); the watch hub marks every session of the
// user as kicked and interrupts it. A session waiting for a command (or in
// IDLE) ends at once; one in the middle of a command finishes it first,
// exactly as on shutdown. Either way the client reads
//
//	* BYE [UNAVAILABLE] logged out by an administrator
//
// (RFC 9051 §7.1.5 BYE, RFC 5530 UNAVAILABLE) and the connection closes.
// Sessions that log in after the event are not affected.

// logout interrupts every session subscribed to uw.
func (h *watchHub) logout(user string, uw *userWatch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range uw.subs {
		s.kicked.Store(true)
		if s.interrupt != nil {
			s.interrupt()
		}
		n++
	}
	h.log.Info("frontend: user logged out by an administrator", "user", user, "sessions", n)
}

// byeClosing says why an interrupted session ends: an administrator's
// logout, or the server shutting down.
func (c *conn) byeClosing() {
	if c.sub != nil && c.sub.kicked.Load() {
		c.enc.StatusResponse("*", "BYE", "UNAVAILABLE", "logged out by an administrator")
		c.enc.Flush()
		return
	}
	c.bye("server shutting down")
}
