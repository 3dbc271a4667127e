package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/postbus/postbus/proto/metadatapb"
)

// runUserQuota implements `postbus user quota NAME [--storage SIZE]
// [--messages N]`: with a limit flag it sets that limit (a flag not given
// keeps its current value; 0 removes the limit), then it prints the
// user's limits and usage. It goes through the same admin target as the
// other user commands (admin socket, offline store, or the cluster's
// router with --etcd).
func runUserQuota(args []string) error {
	fs := flag.NewFlagSet("user quota", flag.ContinueOnError)
	data := fs.String("data", "./postbus-data", "data directory of the node")
	storage := fs.String("storage", "", "STORAGE limit: octets, or with a K, M, G or T suffix (powers of 1024); 0 = unlimited")
	messages := fs.String("messages", "", "MESSAGE limit: number of messages; 0 = unlimited")
	var cf clusterFlags
	cf.register(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{fmt.Sprintf("user quota: want 1 argument (the user), got %d", len(pos))}
	}
	user := pos[0]
	var kib, msgs uint64
	if *storage != "" {
		if kib, err = parseQuotaSize(*storage); err != nil {
			return usageError{"user quota: --storage: " + err.Error()}
		}
	}
	if *messages != "" {
		if msgs, err = strconv.ParseUint(*messages, 10, 64); err != nil {
			return usageError{fmt.Sprintf("user quota: --messages: %q is not a number", *messages)}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t, err := openAdminTarget(ctx, *data, &cf)
	if err != nil {
		return err
	}
	defer t.Close()
	q, err := t.md.GetQuota(ctx, &metadatapb.GetQuotaRequest{User: user})
	if err != nil {
		return userError(user, metadatapb.FromStatus(err))
	}
	if *storage != "" || *messages != "" {
		req := &metadatapb.SetQuotaRequest{User: user, StorageLimitKib: q.StorageLimitKib, MessageLimit: q.MessageLimit}
		if *storage != "" {
			req.StorageLimitKib = kib
		}
		if *messages != "" {
			req.MessageLimit = msgs
		}
		if q, err = t.md.SetQuota(ctx, req); err != nil {
			return userError(user, metadatapb.FromStatus(err))
		}
	}
	fmt.Print(formatQuota(user, q))
	return nil
}

// formatQuota renders limits and usage, STORAGE in KiB as IMAP reports it
// (RFC 9208 §5.1).
func formatQuota(user string, q *metadatapb.Quota) string {
	limit := func(n uint64, unit string) string {
		if n == 0 {
			return "unlimited"
		}
		return strconv.FormatUint(n, 10) + unit
	}
	return fmt.Sprintf("user %s\n  storage:  %d KiB used (%d octets), limit %s\n  messages: %d used, limit %s\n",
		user, (q.StorageUsedBytes+1023)/1024, q.StorageUsedBytes, limit(q.StorageLimitKib, " KiB"),
		q.MessagesUsed, limit(q.MessageLimit, ""))
}

var errQuotaSize = errors.New("want a size such as 500M, 2G, 1048576 or 0")

// parseQuotaSize parses a STORAGE limit into KiB: a number of octets
// (rounded up to whole KiB), or a number with a K, M, G or T suffix
// (powers of 1024, an optional "B" or "iB" after it), case-insensitive.
func parseQuotaSize(s string) (uint64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "IB"), "B")
	shift := map[byte]uint{'K': 0, 'M': 10, 'G': 20, 'T': 30}
	var kibShift uint
	bytes := true
	if n := len(t); n > 0 {
		if sh, ok := shift[t[n-1]]; ok {
			kibShift, bytes, t = sh, false, t[:n-1]
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || t == "" {
		return 0, fmt.Errorf("%q: %w", s, errQuotaSize)
	}
	if bytes {
		return (n + 1023) / 1024, nil
	}
	if n > (^uint64(0))>>kibShift {
		return 0, fmt.Errorf("%q is too large: %w", s, errQuotaSize)
	}
	return n << kibShift, nil
}
