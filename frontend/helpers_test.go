package frontend

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/postbus/postbus/blobstore"
	"github.com/postbus/postbus/metadata"
	"github.com/postbus/postbus/proto/metadatapb"
)

const (
	testUser     = "alice"
	testPassword = "correct horse"
)

// env is a whole stack in process: a metadata node behind a real gRPC
// server, a local blob store, and a frontend on two loopback listeners.
type env struct {
	srv       *Server
	md        metadatapb.MetadataClient
	imapsAddr string
	imapAddr  string
}

type envOption func(*Config)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	blobs, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("POSTBUS_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	node, err := metadata.Open(metadata.Options{Dir: t.TempDir(), Blobs: blobs, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	metadatapb.RegisterMetadataServer(gs, node)
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(gl)
	cc, err := grpc.NewClient(gl.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	md := metadatapb.NewMetadataClient(cc)
	ctx := context.Background()
	for _, u := range []string{testUser, "bob"} {
		if _, err := md.CreateUser(ctx, &metadatapb.CreateUserRequest{User: u, Password: testPassword}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}},
		Metadata:  md,
		Blobs:     blobs,
		Logger:    logger,
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l1, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeIMAPS(l1)
	go srv.ServeIMAP(l2)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		cc.Close()
		gs.Stop()
		node.Close()
	})
	return &env{srv: srv, md: md, imapsAddr: l1.Addr().String(), imapAddr: l2.Addr().String()}
}

func selfSigned(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

var clientTLS = &tls.Config{InsecureSkipVerify: true}

// client dials the IMAPS port with imapclient and logs in.
func (e *env) client(t *testing.T, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	if opts == nil {
		opts = &imapclient.Options{}
	}
	opts.TLSConfig = clientTLS
	c, err := imapclient.DialTLS(e.imapsAddr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		t.Fatalf("LOGIN: %v", err)
	}
	return c
}

// raw is a line-level IMAP client for transcripts imapclient cannot
// express.
type raw struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func (e *env) rawTLS(t testing.TB) *raw {
	t.Helper()
	c, err := tls.Dial("tcp", e.imapsAddr, clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	return newRaw(t, c)
}

func (e *env) rawPlain(t testing.TB) *raw {
	t.Helper()
	c, err := net.Dial("tcp", e.imapAddr)
	if err != nil {
		t.Fatal(err)
	}
	return newRaw(t, c)
}

func newRaw(t testing.TB, c net.Conn) *raw {
	t.Cleanup(func() { c.Close() })
	r := &raw{t: t, c: c, r: bufio.NewReader(c)}
	if g := r.line(); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting: %q", g)
	}
	return r
}

var literalAtEnd = regexp.MustCompile(`~?\{(\d+)\}$`)

// line reads one response line, with any literals it contains inlined.
func (r *raw) line() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var b strings.Builder
	for {
		l, err := r.r.ReadString('\n')
		if err != nil {
			r.t.Fatalf("read: %v (so far %q)", err, b.String()+l)
		}
		l = strings.TrimSuffix(l, "\r\n")
		b.WriteString(l)
		m := literalAtEnd.FindStringSubmatch(l)
		if m == nil {
			return b.String()
		}
		n, _ := strconv.Atoi(m[1])
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.r, buf); err != nil {
			r.t.Fatalf("read literal: %v", err)
		}
		b.WriteString("\r\n")
		b.Write(buf)
	}
}

func (r *raw) send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatal(err)
	}
}

// cmd sends "tag line" and returns the untagged lines and the tagged one.
func (r *raw) cmd(tag, line string) ([]string, string) {
	r.t.Helper()
	r.send(tag + " " + line + "\r\n")
	return r.until(tag)
}

// until reads up to and including the response tagged tag.
func (r *raw) until(tag string) ([]string, string) {
	r.t.Helper()
	var untagged []string
	for {
		l := r.line()
		if strings.HasPrefix(l, tag+" ") {
			return untagged, l
		}
		untagged = append(untagged, l)
	}
}

func (r *raw) login() {
	r.t.Helper()
	if _, tagged := r.cmd("L", "LOGIN "+testUser+` "`+testPassword+`"`); !strings.HasPrefix(tagged, "L OK") {
		r.t.Fatalf("LOGIN: %s", tagged)
	}
}

// expectTagged fails unless the tagged response starts with want.
func (r *raw) expect(tag, line, want string) []string {
	r.t.Helper()
	untagged, tagged := r.cmd(tag, line)
	if !strings.HasPrefix(tagged, tag+" "+want) {
		r.t.Fatalf("%s %s: got %q, want prefix %q (untagged %q)", tag, line, tagged, tag+" "+want, untagged)
	}
	return untagged
}

func containsLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}
