package frontend

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"
)

// TestConnectionLimits: over MaxConnectionsPerIP a connection on the
// cleartext port is told BYE [UNAVAILABLE] and one on the implicit-TLS port
// is closed; a slot freed by LOGOUT is usable again.
func TestConnectionLimits(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxConnectionsPerIP = 2 })
	a := e.rawPlain(t)
	b := e.rawTLS(t)

	over, err := net.Dial("tcp", e.imapAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	over.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(over).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "* BYE [UNAVAILABLE]") {
		t.Fatalf("third cleartext connection: %q, %v; want BYE [UNAVAILABLE]", line, err)
	}

	overTLS, err := net.Dial("tcp", e.imapsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer overTLS.Close()
	tc := tls.Client(overTLS, clientTLS)
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err == nil {
		t.Fatal("third implicit-TLS connection completed a handshake; want it closed")
	}

	// The two admitted sessions work, and a freed slot is reusable.
	a.expect("a1", "NOOP", "OK")
	b.expect("b1", "LOGOUT", "OK")
	b.c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := tls.Dial("tcp", e.imapsAddr, clientTLS)
		if err == nil {
			r := bufio.NewReader(c)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			g, _ := r.ReadString('\n')
			c.Close()
			if strings.HasPrefix(g, "* OK") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection admitted after a slot was freed (last err %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
