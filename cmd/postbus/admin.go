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

// runUserRename implements `postbus user rename OLD NEW`. On one node (and
// in a cluster when both names hash to shards of the same node) it is one
// atomic batch (Admin.RenameUser). When NEW belongs to another node, the
// user is moved (moveUser).
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
		if b, ok := m.Entry(m.ShardOf(to)); !ok || b.Owner != a.Owner {
			dst, err := t.adminFor(to)
			if err != nil {
				return err
			}
			if err := moveUser(ctx, t.md, admin, dst, from, to); err != nil {
				return err
			}
			fmt.Printf("user %s: renamed to %s (moved from node %s to %s)\n", from, to, a.Owner, b.Owner)
			return nil
		}
	}
	_, err = admin.RenameUser(ctx, &metadatapb.RenameUserRequest{User: from, NewName: to})
	if err = renameError(from, to, err); err == nil {
		fmt.Printf("user %s: renamed to %s\n", from, to)
	}
	return err
}

func renameError(from, to string, err error) error {
	switch err = metadatapb.FromStatus(err); {
	case err == nil:
		return nil
	case errors.Is(err, base.ErrUserExists):
		return fmt.Errorf("user %s already exists", to)
	}
	return userError(from, err)
}

// moveUser renames a user whose new name belongs to another node: its
// sessions are logged out, its keys are copied from one snapshot of src
// into dst under the new name, and the source is deleted only if nothing
// changed it since the snapshot (a delivery, a session that logged in
// again); otherwise the copy is deleted and the move retried. A crash
// between the copy and the delete leaves both names, never neither.
func moveUser(ctx context.Context, md metadatapb.MetadataClient, src, dst metadatapb.AdminClient, from, to string) error {
	const attempts = 3
	for i := 1; ; i++ {
		if _, err := src.Logout(ctx, &metadatapb.LogoutRequest{User: from}); err != nil {
			return userError(from, metadatapb.FromStatus(err))
		}
		sum, err := copyUser(ctx, src, dst, from, to)
		if err != nil {
			return renameError(from, to, err)
		}
		_, err = src.DeleteUserIfUnchanged(ctx, &metadatapb.DeleteUserIfUnchangedRequest{User: from, Checksum: sum})
		if err == nil {
			return nil
		}
		err = metadatapb.FromStatus(err)
		// Undo the copy: the source is still authoritative.
		if _, uerr := md.DeleteUser(ctx, &metadatapb.DeleteUserRequest{User: to}); uerr != nil {
			return fmt.Errorf("moving %s to %s: %v; and removing the copy %s failed: %v (delete it with `postbus user del %s`)",
				from, to, err, to, metadatapb.FromStatus(uerr), to)
		}
		if !errors.Is(err, base.ErrConflict) || i == attempts {
			return fmt.Errorf("moving %s to %s: %w (nothing renamed)", from, to, err)
		}
	}
}

// copyUser pipes src's export of from into dst's import as to.
func copyUser(ctx context.Context, src, dst metadatapb.AdminClient, from, to string) (uint64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ex, err := src.ExportUser(ctx, &metadatapb.ExportUserRequest{User: from})
	if err != nil {
		return 0, err
	}
	im, err := dst.ImportUser(ctx)
	if err != nil {
		return 0, err
	}
	for first := true; ; first = false {
		m, err := ex.Recv()
		if err != nil {
			return 0, err
		}
		if first {
			m.User = to
		}
		if err := im.Send(m); err != nil {
			_, err = im.CloseAndRecv() // the server's reason
			return 0, err
		}
		if m.Last {
			_, err := im.CloseAndRecv()
			return m.Checksum, err
		}
	}
}
