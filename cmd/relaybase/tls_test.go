package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/gobwas/ws"
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
