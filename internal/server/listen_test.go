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
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"log/slog"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server"
)

// startServe runs Serve on cfg until the test ends and returns the bound
// addresses.
func startServe(t *testing.T, cfg config.Config) server.Addrs {
	t.Helper()
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, func(net.Addr) error { close(ready); return nil }) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	return srv.Addrs()
}

func loadConfig(t *testing.T, args ...string) config.Config {
	t.Helper()
	cfg, err := config.Load("test", append([]string{"--data-dir", t.TempDir(), "--shutdown-timeout", "5s"}, args...),
		func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func metricsStatus(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode == 200 && !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("%s: 200 without metrics", url)
	}
	return res.StatusCode
}

// TestMetricsAccess: /metrics is off on the public listener unless a token
// is set, and then needs it; --metrics-addr moves it to a listener of its
// own, open there unless a token is set too.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	const token = "metrics-token-0123456789"
	for _, tc := range []struct {
		name                    string
		args                    []string
		public, wrong, right    int // on --addr: no token, a wrong one, the right one
		own, ownWrong, ownRight int // on --metrics-addr (0: no such listener)
	}{
		{"default", nil, 404, 404, 404, 0, 0, 0},
		{"token", []string{"--metrics-token", token}, 401, 401, 200, 0, 0, 0},
		{"own address", []string{"--metrics-addr", "127.0.0.1:0"}, 404, 404, 404, 200, 200, 200},
		{"own address and token", []string{"--metrics-addr", "127.0.0.1:0", "--metrics-token", token}, 404, 404, 404, 401, 401, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := startServe(t, loadConfig(t, append([]string{"--addr", "127.0.0.1:0"}, tc.args...)...))
			base := "http://" + a.Main.String() + "/metrics"
			if got := []int{metricsStatus(t, base, ""), metricsStatus(t, base, "x"+token), metricsStatus(t, base, token)}; got[0] != tc.public || got[1] != tc.wrong || got[2] != tc.right {
				t.Errorf("public listener: %v, want %d %d %d", got, tc.public, tc.wrong, tc.right)
			}
			if tc.own == 0 {
				if a.Metrics != nil {
					t.Fatalf("a metrics listener without --metrics-addr: %v", a.Metrics)
				}
				return
			}
			own := "http://" + a.Metrics.String() + "/metrics"
			if got := []int{metricsStatus(t, own, ""), metricsStatus(t, own, "x"+token), metricsStatus(t, own, token)}; got[0] != tc.own || got[1] != tc.ownWrong || got[2] != tc.ownRight {
				t.Errorf("metrics listener: %v, want %d %d %d", got, tc.own, tc.ownWrong, tc.ownRight)
			}
		})
	}
}

// TestACMERedirect: the plain-HTTP listener of --domain redirects to the
// configured domain whatever Host the request names, keeps path and query,
// and leaves ACME challenge paths to autocert (never redirected).
func TestACMERedirect(t *testing.T) {
	t.Parallel()
	cfg := loadConfig(t, "--domain", "intake.example.com")
	h := server.RedirectHandler(server.ACME(cfg), cfg.Domain, "443")
	for _, tc := range []struct{ method, host, target, want string }{
		{"GET", "intake.example.com", "/imports?page=2", "https://intake.example.com/imports?page=2"},
		{"GET", "evil.example.net", "/login?next=/x", "https://intake.example.com/login?next=/x"},
		{"POST", "intake.example.com", "/api/v1/uploads", "https://intake.example.com/api/v1/uploads"},
		{"GET", "intake.example.com", "//evil.example.net/", "https://intake.example.com//evil.example.net/"},
	} {
		req := httptest.NewRequest(tc.method, "http://"+tc.host+tc.target, nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusPermanentRedirect || rec.Header().Get("Location") != tc.want {
			t.Errorf("%s %s%s: %d %q, want 308 %q", tc.method, tc.host, tc.target, rec.Code, rec.Header().Get("Location"), tc.want)
		}
	}
	other := server.RedirectHandler(server.ACME(cfg), cfg.Domain, "8443")
	rec := httptest.NewRecorder()
	other.ServeHTTP(rec, httptest.NewRequest("GET", "http://intake.example.com/x", nil))
	if rec.Header().Get("Location") != "https://intake.example.com:8443/x" {
		t.Errorf("https port: %q", rec.Header().Get("Location"))
	}
	// An unknown challenge token: autocert answers (from its cache, on
	// disk), it is not redirected.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://intake.example.com/.well-known/acme-challenge/nothing", nil))
	if rec.Code == http.StatusPermanentRedirect || rec.Code == http.StatusOK {
		t.Errorf("challenge path: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

// writeACMECache puts a certificate for domain where autocert's cache
// keeps one (key PEM, then the chain), as if obtained earlier, and returns
// a pool that trusts it.
func writeACMECache(t *testing.T, dataDir, domain string) *x509.CertPool {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: domain}, DNSNames: []string{domain},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour), // far from renewal
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := filepath.Join(dataDir, "acme")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	data := append(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	if err := os.WriteFile(filepath.Join(dir, domain), data, 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// TestACMEServe: with --domain, Intake serves HTTPS with the certificate
// autocert holds for the domain (here from its cache in the data folder,
// so no CA is asked), refuses a hello for any other name without asking a
// CA, and redirects its plain-HTTP listener. Every connection is to
// 127.0.0.1; the name travels only in SNI and Host.
func TestACMEServe(t *testing.T) {
	t.Parallel()
	const domain = "intake.example.com"
	dataDir := t.TempDir()
	pool := writeACMECache(t, dataDir, domain)
	cfg, err := config.Load("test", []string{"--data-dir", dataDir, "--domain", domain, "--addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--acme-directory", "https://127.0.0.1:9/directory"}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := startServe(t, cfg)
	client := func(name string) *http.Client {
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: name},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, a.Main.String())
			}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	res, err := client(domain).Get("https://" + domain + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("healthz over ACME TLS: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
	if res, err := client("other.example.com").Get("https://other.example.com/healthz"); err == nil {
		res.Body.Close()
		t.Fatal("a hello for another name got a certificate")
	}
	req, _ := http.NewRequest("GET", "http://"+a.HTTP.String()+"/imports", nil)
	req.Host = domain
	res, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusPermanentRedirect || !strings.HasPrefix(res.Header.Get("Location"), "https://"+domain+":") {
		t.Fatalf("plain HTTP: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}
