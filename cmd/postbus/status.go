package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/postbus/postbus/metadata/cluster"
	"github.com/postbus/postbus/metadata/gc"
	"github.com/postbus/postbus/proto/metadatapb"
)

// runStatus implements `postbus status`: the node of DATA (running or
// not), or with --etcd the cluster: nodes with addresses and versions,
// shards per node and handoffs, the controller and collector leaders, and
// what every live node reports of its store. (Frontends do not register
// in etcd, so they are not listed.)
func runStatus(args []string) error {
	a, _, err := parseAdmin("status", args, 0, "status [--data DIR | --etcd EPS]")
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
	if t.cli == nil {
		st, err := t.admin.NodeStatus(ctx, &metadatapb.NodeStatusRequest{})
		if err != nil {
			return metadatapb.FromStatus(err)
		}
		state := "stopped (store opened by this command)"
		if t.running {
			state = "running (admin socket " + adminSocketPath(a.data) + ")"
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "server\t%s\n", state)
		fmt.Fprintf(tw, "data\t%s\n", a.data)
		if st.BlobStore != "" {
			fmt.Fprintf(tw, "blobs\t%s\n", st.BlobStore)
		}
		fmt.Fprintf(tw, "shards\t%d (all on this node)\n", st.Shards)
		fmt.Fprintf(tw, "users\t%d\n", st.Users)
		fmt.Fprintf(tw, "metadata\t%d bytes on disk, schema %d\n", st.DiskBytes, st.SchemaVersion)
		fmt.Fprintf(tw, "version\t%s\n", version)
		return tw.Flush()
	}
	m := t.w.Current()
	leader, err := cluster.Leader(ctx, t.cli, t.prefix)
	if err != nil {
		return err
	}
	printStatus(m, leader)
	fmt.Printf("blob collector: %s\n", gcLeader(ctx, t.cli, t.prefix))
	ids := m.NodeIDs()
	sort.Strings(ids)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tUSERS\tDISK\tSCHEMA\tBLOBS")
	for _, id := range ids {
		admin, err := t.nodeAdmin(m.Nodes[id].Addr)
		if err == nil {
			var st *metadatapb.NodeStatusResponse
			sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
			st, err = admin.NodeStatus(sctx, &metadatapb.NodeStatusRequest{})
			scancel()
			if err == nil {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", id, st.Users, st.DiskBytes, st.SchemaVersion, st.BlobStore)
				continue
			}
		}
		fmt.Fprintf(tw, "%s\t(%v)\t\t\t\n", id, metadatapb.FromStatus(err))
	}
	return tw.Flush()
}

// gcLeader names the node that runs the periodic collector.
func gcLeader(ctx context.Context, cli *clientv3.Client, prefix string) string {
	resp, err := cli.Get(ctx, prefix+gc.ElectionKey+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return fmt.Sprintf("unknown (%v)", err)
	}
	if len(resp.Kvs) == 0 {
		return "no node elected (collection off, or no node with --s3-endpoint)"
	}
	return string(resp.Kvs[0].Value)
}
