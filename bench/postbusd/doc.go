// Package postbusd runs a throwaway `postbus serve` as a child process on
// free 127.0.0.1 ports, for benchmarks and tests: it reads the server's
// "postbus: ready imaps=… imap=… data=… cert=…" line, creates users with
// `postbus user add`, and stops the process (SIGTERM, then SIGKILL) by pid.
package postbusd
