package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"sync"
	"syscall"
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

// roleFlags are the flags of a long-running role (serve, metadata,
// frontend).
type roleFlags interface {
	register(fs *flag.FlagSet)
}

// runRole is the life of a long-running role: its flags and --config (a
// role takes no arguments), its logger, SIGHUP's live reload, and a context
// that SIGINT and SIGTERM cancel; then run.
func runRole[F any, P interface {
	*F
	roleFlags
	logSettings() (level, format string)
}](name string, args []string, run func(context.Context, P, *slog.Logger) error) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	f := P(new(F))
	f.register(fs)
	pos, err := parseWithConfig(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("%s takes no arguments, got %q", name, pos)}
	}
	logger, err := newLogger(f.logSettings())
	if err != nil {
		return err
	}
	setLive(args, func(fs *flag.FlagSet) { P(new(F)).register(fs) })
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return run(ctx, f, logger)
}

// logSettings are the logging flags every role shares (serveFlags is
// embedded in the others).
func (f *serveFlags) logSettings() (level, format string) { return f.logLevel, f.logFormat }
