package frontend

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/postbus/postbus/frontend/internal/wire"
	"github.com/postbus/postbus/proto/metadatapb"
)

// threadAlgorithms maps the wire thread-alg atoms to the metadata ones.
var threadAlgorithms = map[string]metadatapb.ThreadAlgorithm{
	"ORDEREDSUBJECT": metadatapb.ThreadAlgorithm_THREAD_ORDEREDSUBJECT,
	"REFERENCES":     metadatapb.ThreadAlgorithm_THREAD_REFERENCES,
}

// errThreadForm is a ThreadResponse whose child counts do not describe a
// forest over its UIDs.
var errThreadForm = errors.New("frontend: malformed thread response from metadata")

// RFC 5256 §3 THREAD, UID THREAD: "* THREAD" followed by the thread-lists,
// numbered by sequence number or UID.
func (c *conn) cmdThread(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.ThreadArgs)
	if !ok || a.Key == nil {
		return bad("", "THREAD expects an algorithm, a charset and search criteria")
	}
	algo, ok := threadAlgorithms[a.Algorithm]
	if !ok {
		return bad("", "unsupported THREAD algorithm "+sanitizeName(a.Algorithm))
	}
	key, err := c.sortKey(a.Charset, a.Key)
	if err != nil {
		return err
	}
	out := ""
	if key != nil { // else an empty view: no threads
		resp, err := c.srv.cfg.Metadata.Thread(c.ctx, &metadatapb.ThreadRequest{
			User: c.user, MailboxId: c.sel.id, Key: key, Now: time.Now().Unix(), Algorithm: algo,
		})
		if err != nil {
			return rpcErr(err)
		}
		num := func(u uint32) uint32 { return u }
		if !cmd.UID {
			num = c.sel.seqOf
		}
		if out, err = formatThreads(resp.Uids, resp.ChildCounts, num); err != nil {
			return err
		}
	}
	c.enc.Raw("* THREAD")
	if out != "" {
		c.enc.SP().Raw(out)
	}
	c.enc.CRLF()
	return nil
}

// formatThreads renders a forest given in preorder (uids[i], 0 for a
// dummy, has counts[i] children following it) as RFC 5256 §4
// 1*thread-list. A dummy is left out and its children stand at its place;
// a childless dummy, or a UID num maps to 0, is an error.
//
//	thread-list    = "(" (thread-members / thread-nested) ")"
//	thread-members = nz-number *(SP nz-number) [SP thread-nested]
//	thread-nested  = 2*thread-list
func formatThreads(uids, counts []uint32, num func(uint32) uint32) (string, error) {
	if len(uids) != len(counts) {
		return "", errThreadForm
	}
	var b strings.Builder
	for i := 0; i < len(uids); {
		b.WriteByte('(')
		var err error
		if i, err = writeMembers(&b, uids, counts, i, num); err != nil {
			return "", err
		}
		b.WriteByte(')')
	}
	return b.String(), nil
}

// writeMembers writes the node at i and its subtree inside an open
// thread-list and returns the index after the subtree: a node with one
// child continues the member list, two or more children nest.
func writeMembers(b *strings.Builder, uids, counts []uint32, i int, num func(uint32) uint32) (int, error) {
	first := true
	for {
		if i >= len(uids) {
			return 0, errThreadForm
		}
		kids := int(counts[i])
		if uids[i] != 0 {
			n := num(uids[i])
			if n == 0 {
				return 0, errThreadForm
			}
			if !first {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatUint(uint64(n), 10))
			first = false
		} else if kids == 0 {
			return 0, errThreadForm
		}
		i++
		switch {
		case kids == 0:
			return i, nil
		case kids == 1:
			continue
		case kids > len(uids)-i:
			return 0, errThreadForm
		}
		if !first {
			b.WriteByte(' ')
		}
		for k := 0; k < kids; k++ {
			b.WriteByte('(')
			var err error
			if i, err = writeMembers(b, uids, counts, i, num); err != nil {
				return 0, err
			}
			b.WriteByte(')')
		}
		return i, nil
	}
}
