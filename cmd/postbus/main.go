// Command postbus is the one binary of postbus: every role is a subcommand.
//
//	postbus serve                 all-in-one node (frontend + metadata + blob dir)
//	postbus user add|del|passwd|list|rename|quota NAME --data DIR
//	postbus status | mailboxes NAME | kick NAME | gc [--dry-run]   (admin.go, status.go, gc.go)
//	postbus version
//
// This package only parses flags and wires parts together; behaviour lives
// in frontend/, metadata/ and blobstore/.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `postbus — a cluster-scale IMAP server

Usage:
  postbus serve [flags]                      run an all-in-one node (see: postbus serve -h)
  postbus metadata --etcd EPS [flags]        run a metadata node of a cluster (see: postbus metadata -h)
  postbus frontend --etcd EPS [flags]        run an IMAP frontend of a cluster (see: postbus frontend -h)
  postbus cluster status --etcd EPS          show the shard map: nodes, shards per node, handoffs
  postbus cluster drain|undrain NODE --etcd EPS [--wait DUR]
                                             move every shard off a node (or allow it shards again)
  postbus user add NAME [--data DIR]         create a user (password: first line of stdin)
  postbus user passwd NAME [--data DIR]      change a password (first line of stdin)
  postbus user del NAME [--data DIR]         delete a user and all their mail
  postbus user list [--data DIR]             list users
  postbus user rename OLD NEW [--data DIR]   rename a user, keeping all mail (moved if NEW is on another node)
  postbus user quota NAME [--storage SIZE] [--messages N] [--data DIR]
                                             show or set a user's quota (SIZE: 500M, 2G; 0 = unlimited)
  postbus mailboxes NAME [--data DIR]        list a user's mailboxes with counts and sizes
  postbus kick NAME [--data DIR]             log every IMAP session of a user out
  postbus status [--data DIR]                show the node (or with --etcd the cluster)
  postbus gc [--dry-run] [--grace DUR] [--data DIR]
                                             delete message bodies no message references
                                             (--etcd EPS and the --s3-* flags for a cluster)
                                             (user, mailboxes, kick and status take --etcd EPS
                                             to act on a cluster)
  postbus bench load|run|compare|list ...    benchmark harness (see: postbus bench help)
  postbus import --user NAME --mbox FILE | --maildir DIR [--mailbox NAME] [--data DIR]
                                             import mail (idempotent: run again to resume)
  postbus export --user NAME --maildir DIR [--data DIR]
                                             write a user's mailboxes as Maildir++
                                             (import/export take --etcd EPS and the --s3-* flags of
                                             the cluster's bucket to act on a cluster)
  postbus version                            print the version
`

func main() {
	os.Exit(run(os.Args[1:]))
}

// run dispatches a command line and returns the process exit code.
func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(args[1:])
	case "user":
		err = runUser(args[1:])
	case "metadata":
		err = runMetadata(args[1:])
	case "frontend":
		err = runFrontend(args[1:])
	case "cluster":
		err = runCluster(args[1:])
	case "import":
		err = runImport(args[1:])
	case "export":
		err = runExport(args[1:])
	case "bench":
		err = runBench(args[1:])
	case "gc":
		err = runGC(args[1:])
	case "status":
		err = runStatus(args[1:])
	case "kick":
		err = runKick(args[1:])
	case "mailboxes":
		err = runMailboxes(args[1:])
	case "version", "--version", "-version":
		fmt.Println("postbus", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "postbus: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "postbus:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError marks an error in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parseInterspersed parses flags that may stand before, between or after
// positional arguments ("user add NAME --data DIR"), which the flag package
// alone does not allow, and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}
