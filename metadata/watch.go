package metadata

import (
	"context"

	"github.com/postbus/postbus/proto/metadatapb"
)

// Watch streams a ChangeEvent every time one of the user's mailboxes
// changes, until the client goes away or the node closes. Events of a slow
// subscriber are coalesced per mailbox (internal/hub): it may see fewer
// events, each with the newest modseq, but never misses a changed mailbox.
// Events carry no message data; the subscriber calls Changes.
func (n *Node) Watch(req *metadatapb.WatchRequest, stream metadatapb.Metadata_WatchServer) error {
	release, err := n.enter(req.User)
	if err != nil {
		return n.rpcErr("Watch", err)
	}
	// Subscribe before checking the user so no change after the check is
	// missed; the store lock is not held while streaming.
	sub := n.hub.Subscribe(req.User)
	defer sub.Close()
	_, err = n.st.PasswordHash(req.User)
	release()
	if err != nil {
		return n.rpcErr("Watch", err)
	}
	// The header tells the subscriber it is registered: every change
	// committed from now on reaches it, so it can catch up with one
	// Changes call made after the header and miss nothing.
	if err := stream.SendHeader(nil); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	stop := context.AfterFunc(n.closing, cancel)
	defer stop()
	for {
		events, err := sub.Next(ctx)
		if err != nil {
			if n.closing.Err() != nil {
				return n.rpcErr("Watch", ErrClosed)
			}
			return n.rpcErr("Watch", err)
		}
		for _, e := range events {
			if err := stream.Send(changeEvent(e)); err != nil {
				return err
			}
		}
	}
}
