package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"net"
	"net/http"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/intakehq/intake/internal/config"
)

// ACME builds the certificate manager for cfg.Domain: Let's Encrypt (or
// cfg.ACMEDirectory) for that one name only, so that a hello naming
// another host never makes Intake ask a CA for it, with the account key and
// certificates cached in DataDir/acme (mode 0700) so a restart reuses them.
func ACME(cfg config.Config) *autocert.Manager {
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist(cfg.Domain),
		Cache:      autocert.DirCache(filepath.Join(cfg.DataDir, "acme")),
		Email:      cfg.ACMEEmail,
	}
	if cfg.ACMEDirectory != "" {
		m.Client = &acme.Client{DirectoryURL: cfg.ACMEDirectory}
	}
	return m
}

// ACMETLSConfig is TLSConfig with certificates from m, and the ALPN
// protocol of the tls-alpn-01 challenge beside HTTP/2 and HTTP/1.1.
func ACMETLSConfig(m *autocert.Manager) *tls.Config {
	c := TLSConfig()
	c.GetCertificate = m.GetCertificate
	c.NextProtos = []string{"h2", "http/1.1", acme.ALPNProto}
	return c
}

// RedirectHandler answers the plain-HTTP listener of an ACME deployment:
// the http-01 challenges through m, everything else a permanent redirect to
// the same path on https://domain (and httpsPort unless it is 443). The
// Location is built from the configured domain, never from the request's
// Host header, so the listener cannot be made to redirect elsewhere.
func RedirectHandler(m *autocert.Manager, domain, httpsPort string) http.Handler {
	base := "https://" + domain
	if httpsPort != "" && httpsPort != "443" {
		base += ":" + httpsPort
	}
	return m.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, base+r.URL.RequestURI(), http.StatusPermanentRedirect) //nolint:gosec // scheme and host are the configured domain; the request gives only path and query
	}))
}

// metricsGate decides where /metrics answers (see config.Config.MetricsAddr
// and MetricsToken): on the public listener only with a token, which a
// request must carry as a bearer token; on a listener of its own with the
// token if one is set, else to anyone who can reach that address.
type metricsGate struct {
	metrics http.Handler
	// tokenSum is SHA-256 of the token; nil without one. Comparing hashes
	// in constant time tells a caller neither the token's bytes nor its
	// length.
	tokenSum []byte
}

func newMetricsGate(metrics http.Handler, token string) metricsGate {
	g := metricsGate{metrics: metrics}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		g.tokenSum = sum[:]
	}
	return g
}

// public is GET /metrics on the main listener.
func (g metricsGate) public(separate bool) http.Handler {
	if separate || g.tokenSum == nil {
		return http.NotFoundHandler()
	}
	return g.authorized()
}

// own is the handler of the listener of MetricsAddr.
func (g metricsGate) own() http.Handler {
	mux := http.NewServeMux()
	if g.tokenSum == nil {
		mux.Handle("GET /metrics", g.metrics)
	} else {
		mux.Handle("GET /metrics", g.authorized())
	}
	return mux
}

func (g metricsGate) authorized() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], g.tokenSum) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="intake metrics"`)
			http.Error(w, "metrics need the bearer token of --metrics-token", http.StatusUnauthorized)
			return
		}
		g.metrics.ServeHTTP(w, r)
	})
}

// portOf is the port of a host:port address, or "".
func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
