package procstat

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// Field 2 with spaces and parentheses, as a kernel thread or a
	// hostile process name may have.
	line := []byte("4242 (imap (x) y) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 123 1000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n")
	s, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if s.pid != 4242 || s.ppid != 17 {
		t.Errorf("pid %d ppid %d", s.pid, s.ppid)
	}
	if want := 310 * clockTick; s.cpu != want {
		t.Errorf("cpu %v, want %v", s.cpu, want)
	}
	if s.rss != 300*pageSize {
		t.Errorf("rss %d, want %d", s.rss, 300*pageSize)
	}
	for _, bad := range []string{"", "12 no-parens S 1", "x (a) S 1 2", "12 (a) S 1 2 3"} {
		if _, err := parseStat([]byte(bad)); !errors.Is(err, ErrProcstat) {
			t.Errorf("parseStat(%q) = %v", bad, err)
		}
	}
}

func TestTreeCountsChildrenAndTheirCPU(t *testing.T) {
	// A shell whose child burns CPU for a moment, then waits.
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 30 & wait")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	m, err := Start(cmd.Process.Pid, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var s Sample
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if s, err = Tree(cmd.Process.Pid); err != nil {
			t.Fatal(err)
		}
		if s.Processes >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s.Processes < 2 || s.RSS <= 0 {
		t.Fatalf("tree sample %+v: want the shell and its sleep child", s)
	}
	u, err := m.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if u.CPU <= 0 || u.PeakRSS <= 0 || u.StartRSS > u.PeakRSS {
		t.Errorf("usage %+v: the loop must have cost CPU", u)
	}
	if _, err := Tree(1 << 30); !errors.Is(err, ErrProcstat) {
		t.Errorf("missing pid: %v", err)
	}
	self, err := Start(os.Getpid(), time.Millisecond)
	if err != nil {
		t.Fatalf("self: %v", err)
	}
	if u, err := self.Stop(); err != nil || u.PeakRSS <= 0 {
		t.Errorf("self: %+v %v", u, err)
	}
}

func TestKnownReadsOnlyLiveProcesses(t *testing.T) {
	self := os.Getpid()
	s, err := known(self, []int{self, 1 << 30}) // the second has exited
	if err != nil || s.Processes != 1 || s.RSS <= 0 || s.CPU <= 0 {
		t.Errorf("known: %+v %v", s, err)
	}
	if _, err := known(1<<30, []int{1 << 30}); !errors.Is(err, ErrProcstat) {
		t.Errorf("known with the root gone: %v", err)
	}
}
