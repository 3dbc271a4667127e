package main

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postbus/postbus/frontend/proxyproto"
)

// freeLoopbackAddr returns a 127.0.0.1 port that was free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// greeting connects to addr, sends pre (a PROXY header or nothing) and
// returns the first line the server sends, or the read error.
func greeting(t *testing.T, addr string, pre []byte) (string, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(pre) > 0 {
		if _, err := c.Write(pre); err != nil {
			return "", err
		}
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	return bufio.NewReader(c).ReadString('\n')
}

// serve with a config file, the health server and a PROXY-only IMAP port:
// the file's settings apply, /readyz answers 200 once serving, a client
// behind a PROXY header gets the greeting and one without is refused.
func TestServeOpsFlags(t *testing.T) {
	dir := t.TempDir()
	httpAddr := freeLoopbackAddr(t)
	conf := filepath.Join(dir, "postbus.toml")
	doc := "http-addr = \"" + httpAddr + "\"\n[proxy-protocol]\nimap = true\n[proxy]\ntrusted = [\"127.0.0.0/8\"]\n"
	if err := os.WriteFile(conf, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, filepath.Join(dir, "data"), "--config", conf)

	if code, body := get(t, "http://"+httpAddr+"/healthz"); code != 200 {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, "http://"+httpAddr+"/readyz"); code != 200 || body != "ok\n" {
		t.Fatalf("/readyz = %d %q\nstderr:\n%s", code, body, s.stderr)
	}

	h := proxyproto.Header{Command: proxyproto.Proxy,
		Source:      netip.MustParseAddrPort("198.51.100.77:40000"),
		Destination: netip.MustParseAddrPort("127.0.0.1:143")}
	for _, hdr := range [][]byte{h.AppendV2(nil), h.AppendV1(nil)} {
		line, err := greeting(t, s.imap, hdr)
		if err != nil || !strings.HasPrefix(line, "* OK") {
			t.Fatalf("behind PROXY header: %q, %v", line, err)
		}
	}
	if line, err := greeting(t, s.imap, []byte("a1 CAPABILITY\r\n")); err == nil {
		t.Fatalf("without a PROXY header the server answered %q", line)
	}
	// The implicit-TLS port did not opt in: a TLS client works directly.
	c, err := tls.Dial("tcp", s.imaps, s.tlsConfig())
	if err != nil {
		t.Fatalf("IMAPS without PROXY: %v", err)
	}
	c.Close()
	// The refusal is logged with its reason.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.stderr.String(), "PROXY protocol: connection refused") {
		if time.Now().After(deadline) {
			t.Fatalf("refusal not logged; stderr:\n%s", s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServeBadConfig(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(conf, []byte("imaps-adress = \"x\"\n"), 0o600)
	_, errOut, code := postbusCmd(t, "", "serve", "--config", conf)
	if code != 2 || !strings.Contains(errOut, `unknown key "imaps-adress"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
