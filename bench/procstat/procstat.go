package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// ErrProcstat is the sentinel wrapped by every error of this package.
var ErrProcstat = errors.New("procstat")

// clockTick is USER_HZ, the unit of /proc/PID/stat times. It is 100 on
// every Linux architecture Go supports (the kernel ABI fixes it for user
// space regardless of CONFIG_HZ), and Go has no sysconf to ask.
const clockTick = 10 * time.Millisecond

var pageSize = int64(os.Getpagesize())

// Sample is one reading of a process tree.
type Sample struct {
	CPU       time.Duration // cumulative user+system CPU of the tree
	RSS       int64         // bytes resident now, summed over the tree
	Processes int
}

type stat struct {
	pid, ppid int
	cpu       time.Duration
	rss       int64
}

// parseStat reads the fields of /proc/PID/stat that matter. The command
// name (field 2) may contain spaces and parentheses, so fields are counted
// from the last ')'.
func parseStat(b []byte) (stat, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return stat{}, fmt.Errorf("%w: malformed stat line", ErrProcstat)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return stat{}, fmt.Errorf("%w: pid: %w", ErrProcstat, err)
	}
	f := bytes.Fields(b[end+1:])
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 22 {
		return stat{}, fmt.Errorf("%w: stat line has %d fields", ErrProcstat, len(f)+2)
	}
	num := func(n int) int64 {
		v, _ := strconv.ParseInt(string(f[n-3]), 10, 64)
		return v
	}
	ticks := num(14) + num(15) + num(16) + num(17)
	return stat{pid: pid, ppid: int(num(4)), cpu: time.Duration(ticks) * clockTick, rss: num(24) * pageSize}, nil
}

// Tree reads the process root and all its descendants.
func Tree(root int) (Sample, error) {
	s, _, err := tree(root)
	return s, err
}

// tree is Tree, also returning the pids of the tree.
func tree(root int) (Sample, []int, error) {
	rootStat, err := readStat(root)
	if err != nil {
		return Sample{}, nil, err
	}
	children := map[int][]stat{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue // exited meanwhile
		}
		s, err := parseStat(b)
		if err != nil {
			continue
		}
		children[s.ppid] = append(children[s.ppid], s)
	}
	var out Sample
	var pids []int
	var walk func(s stat, depth int)
	walk = func(s stat, depth int) {
		out.CPU += s.cpu
		out.RSS += s.rss
		out.Processes++
		pids = append(pids, s.pid)
		if depth > 64 {
			return // a pid-reuse cycle cannot happen, but never loop
		}
		for _, c := range children[s.pid] {
			walk(c, depth+1)
		}
	}
	walk(rootStat, 0)
	return out, pids, nil
}

// known reads the processes of pids that still run (root must).
func known(root int, pids []int) (Sample, error) {
	var out Sample
	for _, pid := range pids {
		s, err := readStat(pid)
		if err != nil {
			if pid == root {
				return out, err
			}
			continue // exited meanwhile
		}
		out.CPU += s.cpu
		out.RSS += s.rss
		out.Processes++
	}
	return out, nil
}

// rescanEvery is how many samples read only the known processes between
// two walks of all of /proc: the walk reads every process's stat file,
// which on a busy machine cost the benchmark's client a few percent of a
// core at 10 samples a second. A process that starts in between (a
// Dovecot imap process per login) is counted from the next walk on.
const rescanEvery = 10

func readStat(pid int) (stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, fmt.Errorf("%w: %w", ErrProcstat, err)
	}
	return parseStat(b)
}

// Monitor samples a tree periodically between Start and Stop.
type Monitor struct {
	root  int
	pids  []int // the tree at the last walk; used by the loop goroutine only
	n     int   // samples taken
	first Sample
	quit  chan struct{}
	done  chan struct{}
	mu    struct {
		sync.Mutex
		last    Sample
		peakRSS int64
		err     error
	}
}

// Usage is a tree's consumption over a monitored interval.
type Usage struct {
	CPU      time.Duration
	StartRSS int64 // at Start: memory kept from before (a load, an earlier run)
	PeakRSS  int64
}

// Start begins sampling root every interval.
func Start(root int, interval time.Duration) (*Monitor, error) {
	s, pids, err := tree(root)
	if err != nil {
		return nil, err
	}
	m := &Monitor{root: root, pids: pids, first: s, quit: make(chan struct{}), done: make(chan struct{})}
	m.mu.last, m.mu.peakRSS = s, s.RSS
	go m.loop(interval)
	return m, nil
}

func (m *Monitor) loop(interval time.Duration) {
	defer close(m.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-m.quit:
			return
		case <-t.C:
			m.sample(false)
		}
	}
}

// sample reads the tree: all of /proc when full or every rescanEvery
// samples, else the processes known from the last walk.
func (m *Monitor) sample(full bool) {
	m.n++
	var s Sample
	var err error
	if full || m.n%rescanEvery == 0 {
		s, m.pids, err = tree(m.root)
	} else {
		s, err = known(m.root, m.pids)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.mu.err = err
		return
	}
	m.mu.last = s
	m.mu.peakRSS = max(m.mu.peakRSS, s.RSS)
}

// Stop takes a last sample and returns the CPU used since Start and the
// highest RSS seen.
func (m *Monitor) Stop() (Usage, error) {
	close(m.quit)
	<-m.done
	m.sample(true)
	m.mu.Lock()
	defer m.mu.Unlock()
	return Usage{CPU: m.mu.last.CPU - m.first.CPU, StartRSS: m.first.RSS, PeakRSS: m.mu.peakRSS}, m.mu.err
}
