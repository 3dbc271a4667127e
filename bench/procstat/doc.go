// Package procstat samples a local server's CPU time and resident memory
// from Linux's /proc, over a whole process tree (Dovecot runs one master
// with many children; postbus one process), so benchmark results can say
// what the server spent beside what the client saw.
//
// CPU of a tree is Σ over its live processes of utime+stime+cutime+cstime:
// the c* fields hold the time of children already reaped, so processes
// that lived and died during a run (Dovecot's per-connection imap
// processes) are counted once, by their parent. RSS is the sum of the live
// processes' resident sets (shared pages count once per process).
package procstat
