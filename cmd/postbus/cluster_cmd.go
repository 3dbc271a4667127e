package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/postbus/postbus/metadata/cluster"
)

// runCluster implements `postbus cluster status|drain|undrain`: looking at
// and steering the shard map of a cluster in etcd.
func runCluster(args []string) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	var cf clusterFlags
	cf.register(fs)
	wait := fs.Duration("wait", 0, "drain: wait at most this long until the node owns no shard")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"cluster: want status, drain NODE or undrain NODE"}
	}
	verb, rest := pos[0], pos[1:]
	want := 1
	switch verb {
	case "status":
		want = 0
	case "drain", "undrain":
	default:
		return usageError{fmt.Sprintf("cluster: unknown subcommand %q (want status, drain or undrain)", verb)}
	}
	if len(rest) != want {
		return usageError{fmt.Sprintf("cluster %s: want %d argument(s), got %d", verb, want, len(rest))}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute+*wait)
	defer cancel()
	cli, err := cf.connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	w, err := cluster.Watch(ctx, cli, cf.prefix)
	if err != nil {
		return err
	}
	defer w.Close()
	switch verb {
	case "status":
		leader, err := cluster.Leader(ctx, cli, cf.prefix)
		if err != nil {
			return err
		}
		printStatus(w.Current(), leader)
		return nil
	case "undrain":
		return cluster.SetDrain(ctx, cli, cf.prefix, rest[0], false)
	}
	node := rest[0]
	if err := cluster.SetDrain(ctx, cli, cf.prefix, node, true); err != nil {
		return err
	}
	fmt.Printf("node %s: draining\n", node)
	if *wait <= 0 {
		return nil
	}
	wctx, wcancel := context.WithTimeout(ctx, *wait)
	defer wcancel()
	if err := w.WaitFor(wctx, func(m *cluster.ShardMap) bool { return len(m.Owned(node)) == 0 }); err != nil {
		return fmt.Errorf("node %s still owns %d shards: %w", node, len(w.Current().Owned(node)), err)
	}
	fmt.Printf("node %s: owns no shard\n", node)
	return nil
}

// printStatus writes a human-readable summary of the map.
func printStatus(m *cluster.ShardMap, leader string) {
	fmt.Printf("shards %d  revision %d  controller %q\n", m.Shards, m.Revision, leader)
	owners := map[string]int{}
	var moving []string
	unassigned := 0
	for s := uint32(0); s < m.Shards; s++ {
		e, ok := m.Entry(s)
		if !ok {
			unassigned++
			continue
		}
		owners[e.Owner]++
		if e.State == cluster.StateMoving {
			moving = append(moving, fmt.Sprintf("shard %d: %s -> %s", s, e.Owner, e.Target))
		}
	}
	ids := m.NodeIDs()
	for id := range owners {
		if _, live := m.Nodes[id]; !live {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tADDR\tVERSION\tSHARDS\tSTATE")
	for _, id := range ids {
		n, live := m.Nodes[id]
		state := "up"
		switch {
		case !live:
			state = "DOWN (its shards are unavailable)"
		case m.Draining[id]:
			state = "draining"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", id, n.Addr, n.Version, owners[id], state)
	}
	tw.Flush()
	for _, mv := range moving {
		fmt.Println("moving", mv)
	}
	if unassigned > 0 {
		fmt.Printf("unassigned shards: %d\n", unassigned)
	}
}
