package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// writeSelfSigned writes a certificate for 127.0.0.1 and its key, and returns a pool that
// trusts it.
func writeSelfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "relaybase test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServesTLS: with tls_cert and tls_key relaybase serves HTTPS and WSS itself, as the
// official SDK needs (it always connects with wss://).
func TestServesTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeSelfSigned(t, dir)
	wssLine := regexp.MustCompile(`realtime: (wss://[^ ]+)`)
	out := &syncBuffer{watch: wssLine, ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "../../examples/chat", "--addr", "127.0.0.1:0", "--data", dir,
			"--tls-cert", certFile, "--tls-key", keyFile}, func(string) string { return "" }, out, out)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d: %s", code, out)
		}
	}()
	select {
	case <-out.ready:
	case code := <-done:
		t.Fatalf("exited %d: %s", code, out)
	case <-time.After(30 * time.Second):
		t.Fatalf("did not start: %s", out)
	}
	wss := wssLine.FindStringSubmatch(out.String())[1]
	wss = regexp.MustCompile(`localhost`).ReplaceAllString(wss, "127.0.0.1")
	host := regexp.MustCompile(`wss://([^/]+)/`).FindStringSubmatch(wss)[1]

	tlsConf := &tls.Config{RootCAs: pool}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	resp, err := client.Get("https://" + host + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("https /healthz: %d", resp.StatusCode)
	}
	d := ws.Dialer{TLSConfig: tlsConf, Timeout: 5 * time.Second}
	conn, _, _, err := d.Dial(context.Background(), wss)
	if err != nil {
		t.Fatalf("wss dial: %v", err)
	}
	conn.Close()
}

// certDER reads the certificate a PEM file holds.
func certDER(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s holds no PEM", file)
	}
	return b.Bytes
}

// TestTLSReloadOnSIGHUP: SIGHUP makes relaybase read tls_cert and tls_key again. A wss
// connection opened before goes on working; new handshakes see the new certificate. Files
// that do not load leave the last good certificate in place, with an error in the log.
func TestTLSReloadOnSIGHUP(t *testing.T) {
	dir, next := t.TempDir(), t.TempDir()
	certFile, keyFile, _ := writeSelfSigned(t, dir)
	derA := certDER(t, certFile)
	writeSelfSigned(t, next)
	derB := certDER(t, filepath.Join(next, "cert.pem"))
	roots := x509.NewCertPool()
	for _, der := range [][]byte{derA, derB} {
		c, _ := x509.ParseCertificate(der)
		roots.AddCert(c)
	}

	s := startServer(t, "../../examples/chat", t.TempDir(), "--tls-cert", certFile, "--tls-key", keyFile)
	wss := s.ws
	host := strings.TrimPrefix(s.base, "https://")
	tlsConf := &tls.Config{RootCAs: roots}
	served := func() []byte {
		c, err := tls.Dial("tcp", host, tlsConf)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Raw
	}
	if !bytes.Equal(served(), derA) {
		t.Fatal("the first certificate is not the one served")
	}

	// A member of marvel_chat_room over wss, opened with the first certificate.
	conn, br, _, err := ws.Dialer{TLSConfig: tlsConf, Timeout: 5 * time.Second}.Dial(context.Background(), wss)
	if err != nil {
		t.Fatalf("wss dial: %v", err)
	}
	defer conn.Close()
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	frames := make(chan string, 16)
	go func() {
		defer close(frames)
		for {
			msg, op, err := wsutil.ReadServerData(struct {
				io.Reader
				io.Writer
			}{r, conn})
			if err != nil {
				return
			}
			if op == ws.OpText {
				frames <- string(msg)
			}
		}
	}()
	next1 := func(want string) {
		t.Helper()
		for {
			select {
			case f, ok := <-frames:
				if !ok {
					t.Fatalf("the wss connection closed while waiting for %q", want)
				}
				if strings.Contains(f, want) {
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no frame with %q", want)
			}
		}
	}
	if err := wsutil.WriteClientText(conn, []byte(`{"action":"join","options":{"channel":"marvel_chat_room"},"payload":{"history":false,"presence":false}}`)); err != nil {
		t.Fatal(err)
	}
	next1(`"join"`)
	https := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}}
	post := func(text string) {
		t.Helper()
		resp, err := https.Post("https://"+host+"/api:chat/messages", "application/json",
			strings.NewReader(`{"channel":"marvel_chat_room","text":"`+text+`","author":"Cap"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST messages: %d", resp.StatusCode)
		}
	}

	// The renewed pair replaces the files, and SIGHUP.
	for _, f := range []string{"cert.pem", "key.pem"} {
		if err := os.Rename(filepath.Join(next, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !bytes.Equal(served(), derB) {
		if time.Now().After(deadline) {
			t.Fatalf("new handshakes still get the old certificate:\n%s", s.stderr)
		}
		time.Sleep(20 * time.Millisecond) // polling the handshakes, with the deadline above
	}
	post("after the reload")
	next1("after the reload") // the connection made with the old certificate is still open

	// Files that do not load: an error, and the certificate of the last reload stays.
	if err := os.WriteFile(certFile, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(s.stderr.String(), "TLS reload failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no error logged for a certificate that does not load:\n%s", s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !bytes.Equal(served(), derB) {
		t.Fatal("after a failed reload, the certificate served changed")
	}
	post("after the failed reload")
	next1("after the failed reload")
}
