package wire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReadCommand feeds arbitrary client bytes to the decoder: it must not
// panic, must make progress (every call consumes input or ends), and must
// keep its buffers within the limits.
func FuzzReadCommand(f *testing.F) {
	for _, tc := range commandCases {
		f.Add(tc.in)
	}
	for _, tc := range errorCases {
		f.Add(tc.in + "n NOOP\r\n")
	}
	f.Add("a APPEND x (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {5}\r\nhello {3+}\r\nabc ~{2}\r\n\x00\x01\r\nb NOOP\r\n")
	f.Add("a APPEND x {300+}\r\n" + strings.Repeat("z", 300) + "\r\n")
	f.Add("a APPEND x (\\Seen) CATENATE (URL \"/INBOX/;UID=1\" TEXT {3}\r\nabc URL {4}\r\n;U=1 TEXT ~{1+}\r\n\x00) {1}\r\nz\r\nb NOOP\r\n")
	f.Add("a SEARCH " + strings.Repeat("(", 40) + "\r\n")
	// RFC 6855 §4 UTF8 data items, well-formed and not.
	f.Add("a APPEND x UTF8 (~{3}\r\nh\xc3\xa9) UTF8 (~{1+}\r\nz\r\nb NOOP\r\n")
	f.Add("a APPEND x (\\Seen) UTF8 ({2+}\r\nab)\r\nb COMPRESS DEFLATE\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		lim := smallLimits()
		r := bufio.NewReaderSize(strings.NewReader(in), 16)
		conts := 0
		d := NewDecoder(r, func(string) error { conts++; return nil }, lim)
		for calls := 0; ; calls++ {
			if calls > len(in)+2 {
				t.Fatalf("no progress after %d calls", calls)
			}
			cmd, err := d.ReadCommand()
			if cap(d.line) > lim.MaxLineLength+2*maxLiteralHeader+64 {
				t.Fatalf("line buffer grew to %d", cap(d.line))
			}
			if err != nil {
				var se *SyntaxError
				if errors.As(err, &se) {
					continue
				}
				return
			}
			if cmd.Name == "" || cmd.Tag == "" {
				t.Fatalf("command without name or tag: %+v", cmd)
			}
			if cmd.Name != "APPEND" {
				continue
			}
		messages:
			for {
				msg, err := d.ReadAppendMessage()
				if err != nil {
					var se *SyntaxError
					if errors.As(err, &se) {
						break
					}
					return
				}
				if msg == nil {
					break
				}
				for msg.Catenate {
					part, err := d.ReadCatPart()
					if err != nil {
						var se *SyntaxError
						if errors.As(err, &se) {
							break messages
						}
						return
					}
					if part == nil {
						continue messages
					}
					if !part.Text {
						continue
					}
					if part.Size > lim.MaxLiteral {
						t.Fatalf("TEXT part of %d octets over MaxLiteral", part.Size)
					}
					n, err := io.Copy(io.Discard, part.Body)
					if err != nil {
						return
					}
					if n != part.Size {
						t.Fatalf("TEXT part of %d octets, announced %d", n, part.Size)
					}
				}
				if msg.Size > lim.MaxLiteral {
					t.Fatalf("message of %d octets over MaxLiteral", msg.Size)
				}
				n, err := io.Copy(io.Discard, msg.Body)
				if err != nil {
					return
				}
				if n != msg.Size {
					t.Fatalf("body of %d octets, announced %d", n, msg.Size)
				}
			}
		}
	})
}
