package embedded

import (
	"context"
	"testing"
	"time"
)

// TestStartRestart writes a key, restarts the member on the same directory
// and reads the key back: serve's etcd keeps its data across restarts.
func TestStartRestart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, step := range []string{"put", "get"} {
		e, err := Start(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		cli, err := e.Client()
		if err != nil {
			t.Fatal(err)
		}
		if step == "put" {
			if _, err := cli.Put(ctx, "k", "v"); err != nil {
				t.Fatal(err)
			}
		} else {
			resp, err := cli.Get(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
				t.Fatalf("run %d: got %v", i, resp.Kvs)
			}
		}
		cli.Close()
		e.Close()
	}
}
