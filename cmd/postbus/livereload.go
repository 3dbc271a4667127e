package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sync"
)

// logLevel is the level of this process's logger (one role a process).
// SIGHUP may change it; every other setting needs a restart.
var logLevel = new(slog.LevelVar)

// live is how the process re-reads its settings at SIGHUP: the role's flag
// registration and its command line, set once by the role's run function.
var live struct {
	mu       sync.Mutex
	args     []string
	register func(*flag.FlagSet)
}

// setLive records how to re-parse this role's settings.
func setLive(args []string, register func(*flag.FlagSet)) {
	live.mu.Lock()
	defer live.mu.Unlock()
	live.args, live.register = append([]string(nil), args...), register
}

// reloadLive re-parses the command line and the --config file exactly as at
// start (so flags given on the command line still win over the file) and
// applies what can change while running: the log level. A config file that
// no longer parses changes nothing.
func reloadLive(log *slog.Logger) error {
	live.mu.Lock()
	args, register := live.args, live.register
	live.mu.Unlock()
	if register == nil {
		return nil
	}
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	register(fs)
	if _, err := parseWithConfig(fs, args); err != nil {
		return fmt.Errorf("re-reading the configuration: %w", err)
	}
	f := fs.Lookup("log-level")
	if f == nil {
		return nil
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(f.Value.String())); err != nil {
		return fmt.Errorf("re-reading the configuration: bad log-level %q", f.Value.String())
	}
	if old := logLevel.Level(); old != lv {
		logLevel.Set(lv)
		log.Info("log level changed", "old", old.String(), "new", lv.String())
	}
	return nil
}
