package main

import (
	"flag"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/frontend/proxyproto"
)

func TestParsePrefixes(t *testing.T) {
	got, err := parsePrefixes(" 10.1.2.3/8, 192.0.2.7 ,2001:db8::/32,")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("[%d] = %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "host.example", "1.2.3"} {
		if _, err := parsePrefixes(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestProxyFlagsWrap(t *testing.T) {
	fs := flag.NewFlagSet("frontend", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	p := registerProxyFlags(fs)
	if err := fs.Parse([]string{"--proxy-protocol-imaps", "--proxy-trusted", "127.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if p.wrap(raw, "imap") != raw {
		t.Fatal("imap listener wrapped without --proxy-protocol-imap")
	}
	l := p.wrap(raw, "imaps")
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := proxyproto.Header{Command: proxyproto.Proxy,
		Source:      netip.MustParseAddrPort("198.51.100.20:5555"),
		Destination: netip.MustParseAddrPort("127.0.0.1:993")}
	c.Write(h.AppendV2(nil))
	done := make(chan net.Conn, 1)
	go func() {
		sc, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		done <- sc
	}()
	select {
	case sc := <-done:
		if sc == nil {
			t.FailNow()
		}
		defer sc.Close()
		if sc.RemoteAddr().String() != "198.51.100.20:5555" {
			t.Fatalf("RemoteAddr = %s", sc.RemoteAddr())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no connection accepted")
	}
	if err := fs.Parse([]string{"--proxy-trusted", "nonsense"}); err == nil {
		t.Fatal("bad --proxy-trusted accepted")
	}
}
