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
	rootStat, err := readStat(root)
	if err != nil {
		return Sample{}, err
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
	var walk func(s stat, depth int)
	walk = func(s stat, depth int) {
		out.CPU += s.cpu
		out.RSS += s.rss
		out.Processes++
		if depth > 64 {
			return // a pid-reuse cycle cannot happen, but never loop
		}
		for _, c := range children[s.pid] {
			walk(c, depth+1)
		}
	}
	walk(rootStat, 0)
	return out, nil
}

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
	s, err := Tree(root)
	if err != nil {
		return nil, err
	}
	m := &Monitor{root: root, first: s, quit: make(chan struct{}), done: make(chan struct{})}
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
			m.sample()
		}
	}
}

func (m *Monitor) sample() {
	s, err := Tree(m.root)
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
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return Usage{CPU: m.mu.last.CPU - m.first.CPU, StartRSS: m.first.RSS, PeakRSS: m.mu.peakRSS}, m.mu.err
}
