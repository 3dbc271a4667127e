package frontend

import (
	"github.com/postbus/postbus/frontend/internal/threading"
	"github.com/postbus/postbus/frontend/internal/wire"
)

// RFC 5256 §3 THREAD, UID THREAD: "* THREAD" followed by the thread-lists,
// numbered by sequence number or UID.
func (c *conn) cmdThread(cmd *wire.Command) error {
	a, ok := cmd.Args.(*wire.ThreadArgs)
	if !ok || a.Key == nil {
		return bad("", "THREAD expects an algorithm, a charset and search criteria")
	}
	var algo func([]threading.Msg) []*threading.Node
	switch a.Algorithm {
	case "ORDEREDSUBJECT":
		algo = threading.OrderedSubject
	case "REFERENCES":
		algo = threading.References
	default:
		return bad("", "unsupported THREAD algorithm "+sanitizeName(a.Algorithm))
	}
	msgs, err := c.sortInput(a.Charset, a.Key)
	if err != nil {
		return err
	}
	num := func(u uint32) uint32 { return u }
	if !cmd.UID {
		num = c.sel.seqOf
	}
	c.enc.Raw("* THREAD")
	if len(msgs) > 0 {
		c.enc.SP().Raw(threading.Format(algo(msgs), num))
	}
	c.enc.CRLF()
	return nil
}
