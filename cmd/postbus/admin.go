package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/postbus/postbus/metadata/base"
	"github.com/postbus/postbus/proto/metadatapb"
)

// adminFlags are the flags every admin command takes: a node's data
// directory, or a cluster's etcd.
type adminFlags struct {
	data string
	cf   clusterFlags
}

func (a *adminFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.data, "data", "./postbus-data", "data directory of the node (its running server is reached through DATA/admin.sock)")
	a.cf.register(fs)
}

// parseAdmin parses an admin command's flags and checks its argument count.
func parseAdmin(name string, args []string, want int, usage string) (*adminFlags, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var a adminFlags
	a.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != want {
		return nil, nil, usageError{fmt.Sprintf("usage: postbus %s", usage)}
	}
	return &a, pos, nil
}

// runKick implements `postbus kick NAME`: every IMAP session of the user
// ends with BYE [UNAVAILABLE] (frontend/kick.go).
func runKick(args []string) error {
	a, pos, err := parseAdmin("kick", args, 1, "kick NAME [--data DIR | --etcd EPS]")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t, err := openAdminTarget(ctx, a.data, &a.cf)
	if err != nil {
		return err
	}
	defer t.Close()
	user := pos[0]
	admin, err := t.adminFor(user)
	if err != nil {
		return err
	}
	if _, err := admin.Logout(ctx, &metadatapb.LogoutRequest{User: user}); err != nil {
		return userError(user, metadatapb.FromStatus(err))
	}
	if t.cli == nil && !t.running {
		fmt.Printf("user %s: no server is running on %s, so no session to end\n", user, a.data)
		return nil
	}
	fmt.Printf("user %s: logged out\n", user)
	return nil
}

// runMailboxes implements `postbus mailboxes NAME`: the user's mailboxes
// with their counters.
func runMailboxes(args []string) error {
	a, pos, err := parseAdmin("mailboxes", args, 1, "mailboxes NAME [--data DIR | --etcd EPS]")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t, err := openAdminTarget(ctx, a.data, &a.cf)
	if err != nil {
		return err
	}
	defer t.Close()
	user := pos[0]
	resp, err := t.md.ListMailboxes(ctx, &metadatapb.ListMailboxesRequest{User: user})
	if err != nil {
		return userError(user, metadatapb.FromStatus(err))
	}
	printMailboxes(resp)
	return nil
}

func printMailboxes(resp *metadatapb.ListMailboxesResponse) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MESSAGES\tUNSEEN\tSIZE\tSUBSCRIBED\tUSE\tMAILBOX\t")
	var msgs, unseen, size uint64
	for _, m := range resp.Mailboxes {
		sub := "no"
		if m.Subscribed {
			sub = "yes"
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t\n", m.Messages, m.Unseen, m.Size, sub, m.SpecialUse, m.Name)
		msgs += uint64(m.Messages)
		unseen += uint64(m.Unseen)
		size += m.Size
	}
	fmt.Fprintf(tw, "%d\t%d\t%d\t\t\t(%d mailboxes)\t\n", msgs, unseen, size, len(resp.Mailboxes))
	tw.Flush()
}

// runUserRename implements `postbus user rename OLD NEW`. In a cluster
// both names must hash to shards of the same node (else the user's keys
// would have to move between stores: refused, see README).
func runUserRename(ctx context.Context, data string, cf *clusterFlags, from, to string) error {
	t, err := openAdminTarget(ctx, data, cf)
	if err != nil {
		return err
	}
	defer t.Close()
	admin, err := t.adminFor(from)
	if err != nil {
		return err
	}
	if t.cli != nil {
		m := t.w.Current()
		a, _ := m.Entry(m.ShardOf(from))
		b, ok := m.Entry(m.ShardOf(to))
		if !ok || b.Owner != a.Owner || b.State != a.State {
			return fmt.Errorf("cannot rename %s to %s: the new name belongs to shard %d on node %q, the user's data is on %q (renames across metadata nodes are not supported)",
				from, to, m.ShardOf(to), b.Owner, a.Owner)
		}
	}
	_, err = admin.RenameUser(ctx, &metadatapb.RenameUserRequest{User: from, NewName: to})
	switch err = metadatapb.FromStatus(err); {
	case err == nil:
		fmt.Printf("user %s: renamed to %s\n", from, to)
		return nil
	case errors.Is(err, base.ErrUserExists):
		return fmt.Errorf("user %s already exists", to)
	}
	return userError(from, err)
}
