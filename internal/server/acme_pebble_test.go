package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"

	"github.com/intakehq/intake/internal/server"
)

// TestACMEIssuesWithPebble obtains a certificate for --domain end to end
// from Pebble, Let's Encrypt's ACME test server, run in-process on
// loopback: account, order, tls-alpn-01 authorization, finalization, the
// certificate served and cached in DATA_DIR/acme. Pebble's validation
// authority is told to accept every challenge (PEBBLE_VA_ALWAYS_VALID):
// a real one would dial the domain, and tests resolve no name.
func TestACMEIssuesWithPebble(t *testing.T) {
	t.Setenv("PEBBLE_VA_ALWAYS_VALID", "1")
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	quiet := log.New(io.Discard, "", 0)
	store := db.NewMemoryStore()
	authority := ca.New(quiet, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(quiet, 0, 0, false, "", store)
	front := wfe.New(quiet, store, validator, authority, nil, false, false, 1, 1)
	acmeSrv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(acmeSrv.Close)

	const domain = "intake.example.com"
	cfg := loadConfig(t, "--domain", domain, "--addr", "127.0.0.1:0", "--acme-directory", acmeSrv.URL+wfe.DirectoryPath)
	m := server.ACME(cfg)
	m.Client.HTTPClient = acmeSrv.Client() // trusts Pebble's own test certificate
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server.ACMETLSConfig(m))
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	roots := x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: domain},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
		}}}
	res, err := client.Get("https://" + domain + "/")
	if err != nil {
		t.Fatalf("no certificate from Pebble: %v", err)
	}
	res.Body.Close()
	leaf := res.TLS.PeerCertificates[0]
	if res.StatusCode != 200 || leaf.VerifyHostname(domain) != nil {
		t.Fatalf("status %d, certificate for %v", res.StatusCode, leaf.DNSNames)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "acme", domain)); err != nil {
		t.Fatalf("the certificate is not cached in the data folder: %v", err)
	}
}
