package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/postbus/postbus/bench/corpus"
	"github.com/postbus/postbus/bench/postbusd"
	"github.com/postbus/postbus/bench/postbusd/postbusdtest"
	"github.com/postbus/postbus/bench/target"
)

var postbusBin string

func TestMain(m *testing.M) { postbusdtest.Main(m, &postbusBin) }

func startPostbus(t *testing.T, users int) *target.Target {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := postbusd.Start(ctx, postbusBin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stopping postbus: %v\n%s", err, srv.Stderr())
		}
	})
	tg := &target.Target{Name: "postbus", Addr: srv.IMAPS, TLS: target.TLSImplicit, CAFile: srv.Cert,
		ServerName: "localhost", UserPattern: "user%d", PassPattern: "secret-%d-pw", Timeout: 30 * time.Second}
	if err := tg.Validate(); err != nil {
		t.Fatal(err)
	}
	for u := 1; u <= users; u++ {
		name, pw := tg.User(u)
		if err := srv.AddUser(ctx, name, pw); err != nil {
			t.Fatal(err)
		}
	}
	return tg
}

func count(t *testing.T, tg *target.Target, u int, mailbox string) uint32 {
	t.Helper()
	c, err := tg.DialLogin(u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout()
	var n uint32
	err = c.Do(func() error {
		sd, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
		if err == nil {
			n = *sd.NumMessages
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadIsIdempotent(t *testing.T) {
	tg := startPostbus(t, 2)
	g, err := corpus.NewGenerator(corpus.Config{Seed: 5, Messages: 12, MaxAttachment: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	opt := Options{Users: 2, Conns: 3, Marker: "bench-loaded-test", Progress: &progress}
	st, err := Load(context.Background(), tg, g, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 24 || st.Skipped != 0 || st.Bytes == 0 {
		t.Fatalf("first load: %+v, want 24 messages, none skipped", st)
	}
	if !strings.Contains(progress.String(), "24/24 msgs") {
		t.Errorf("progress output lacks the final count: %q", progress.String())
	}
	for u := 1; u <= 2; u++ {
		if n := count(t, tg, u, "INBOX"); n != 12 {
			t.Fatalf("user %d INBOX holds %d, want 12", u, n)
		}
	}
	// Second run: nothing to do.
	st, err = Load(context.Background(), tg, g, opt)
	if err != nil || st.Skipped != 2 || st.Messages != 0 {
		t.Fatalf("second load: %+v %v, want both users skipped", st, err)
	}
	// An interrupted load (marker gone, mailbox partial) is redone cleanly.
	c, err := tg.DialLogin(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(func() error { return c.Delete("bench-loaded-test").Wait() }); err != nil {
		t.Fatal(err)
	}
	c.Logout()
	st, err = Load(context.Background(), tg, g, opt)
	if err != nil || st.Skipped != 1 || st.Messages != 12 {
		t.Fatalf("reload: %+v %v, want user 1 reloaded", st, err)
	}
	if n := count(t, tg, 1, "INBOX"); n != 12 {
		t.Fatalf("after reload INBOX holds %d, want 12 (no duplicates)", n)
	}
}

func TestLoadFailures(t *testing.T) {
	tg := startPostbus(t, 1)
	g, _ := corpus.NewGenerator(corpus.Config{Seed: 1, Messages: 2})
	if _, err := Load(context.Background(), tg, g, Options{Users: 0, Marker: "m"}); !errors.Is(err, ErrLoad) {
		t.Errorf("zero users: %v", err)
	}
	if _, err := Load(context.Background(), tg, g, Options{Users: 1}); !errors.Is(err, ErrLoad) {
		t.Errorf("no marker: %v", err)
	}
	// User 2 does not exist: LOGIN fails.
	_, err := Load(context.Background(), tg, g, Options{Users: 1, FirstUser: 2, Marker: "m"})
	if !errors.Is(err, ErrLoad) || !errors.Is(err, target.ErrTarget) {
		t.Errorf("unknown user: %v", err)
	}
}

// TestLoadInBatches loads through MULTIAPPEND batches (Options.Batch) and
// checks that every message arrives once with its flags and internal date.
func TestLoadInBatches(t *testing.T) {
	tg := startPostbus(t, 1)
	g, err := corpus.NewGenerator(corpus.Config{Seed: 9, Messages: 23, MaxAttachment: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	st, err := Load(context.Background(), tg, g, Options{Users: 1, Conns: 2, Batch: 5, Marker: "bench-loaded-batch"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != 23 {
		t.Fatalf("batched load: %+v, want 23 messages", st)
	}
	c, err := tg.DialLogin(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout()
	seen := map[time.Time]bool{}
	var seenFlags, want int
	for i := 0; i < 23; i++ {
		m, err := g.Message(1, i)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(m.Flags, `\Seen`) {
			want++
		}
	}
	err = c.Do(func() error {
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			return err
		}
		var all imap.SeqSet
		all.AddRange(1, 0)
		msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, InternalDate: true}).Collect()
		if len(msgs) != 23 {
			return fmt.Errorf("INBOX holds %d messages, want 23", len(msgs))
		}
		if err != nil {
			return err
		}
		for _, m := range msgs {
			seen[m.InternalDate.UTC()] = true
			if slices.Contains(m.Flags, imap.FlagSeen) {
				seenFlags++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 23; i++ {
		m, _ := g.Message(1, i)
		if !seen[m.Date.UTC().Truncate(time.Second)] {
			t.Errorf("message %d (date %v) missing", i, m.Date)
		}
	}
	if seenFlags != want {
		t.Errorf("%d messages \\Seen, want %d", seenFlags, want)
	}
}
