package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, returning the
// files and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "intake test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// serve runs srv.Serve until the test ends and returns the bound address.
func serve(t *testing.T, args ...string) (string, context.CancelFunc, chan error) {
	t.Helper()
	cfg, err := config.Load("test", append([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--shutdown-timeout", "10s"}, args...),
		func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() {
		err := srv.Serve(ctx, func(a net.Addr) error { addr <- a.String(); return nil })
		done <- err
		close(stopped)
	}()
	t.Cleanup(func() { cancel(); <-stopped; srv.Close() })
	select {
	case a := <-addr:
		return a, cancel, done
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	return "", cancel, done
}

// TestTLS: with a certificate Intake serves HTTPS only, TLS 1.2 or newer with
// AEAD suites, and sends HSTS on every response.
func TestTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	addr, _, _ := serve(t, "--tls-cert", certFile, "--tls-key", keyFile)
	client := func(c *tls.Config) *http.Client {
		c.RootCAs = pool
		return &http.Client{Transport: &http.Transport{TLSClientConfig: c}, Timeout: 5 * time.Second}
	}
	resp, err := client(&tls.Config{}).Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Fatalf("no HSTS header: %q", hsts)
	}
	if resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("negotiated TLS %x", resp.TLS.Version)
	}
	refused := []struct {
		name string
		cfg  *tls.Config
	}{
		{"TLS 1.1", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}},
		{"CBC suite", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}},
	}
	for _, r := range refused {
		if resp, err := client(r.cfg).Get("https://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			t.Errorf("%s accepted", r.name)
		}
	}
	// Plain HTTP on the TLS port gets no page.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("plain HTTP served: %s", body)
		}
	}
}

// TestPlainHTTPBindsLoopbackOnly: without TLS, a public address is refused
// unless --insecure-http says a TLS proxy is in front.
func TestPlainHTTPBindsLoopbackOnly(t *testing.T) {
	t.Parallel()
	_, err := config.Load("test", []string{"--addr", "0.0.0.0:8080"}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err == nil {
		t.Fatal("plain HTTP on 0.0.0.0 accepted without --insecure-http")
	}
	if _, err := config.Load("test", []string{"--addr", "0.0.0.0:8080", "--insecure-http"}, func(string) (string, bool) { return "", false }, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
}

// TestGracefulShutdown: a chunk in flight when the server is told to stop
// is finished and acknowledged; new connections are refused afterwards.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	addr, cancel, done := serve(t)
	base := "http://" + addr
	// Health first; then a slow request body, then shutdown while it streams.
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pr, pw := io.Pipe()
	result := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/api/v1/uploads", pr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	pw.Write([]byte(`{"importer":"imp_unknown","columns":["a"],`))
	time.Sleep(100 * time.Millisecond)
	cancel()
	time.Sleep(100 * time.Millisecond)
	pw.Write([]byte(`"source":{"format":"csv","size_bytes":1},"rows":1}`))
	pw.Close()
	if code := <-result; code != http.StatusNotFound {
		t.Fatalf("in-flight request during shutdown got %d, want its normal answer (404 unknown importer)", code)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}
