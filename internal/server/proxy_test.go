package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"

	"github.com/intakehq/intake/internal/browsertest"
	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server/servertest"
)

// behindTLSProxy starts Intake on plain HTTP behind a TLS-terminating
// reverse proxy on loopback, the documented --insecure-http set-up, with
// --public-url set to the proxy's https URL. The proxy forwards the
// browser's Host, as nginx's proxy_set_header Host $host does.
func behindTLSProxy(t *testing.T) (env *servertest.Env, proxy *httptest.Server) {
	t.Helper()
	return behindTLSProxyWith(t, true, nil)
}

// behindTLSProxyWith is behindTLSProxy with the choice to forward the
// browser's Host (keepHost) or send Intake's own (as a bare proxy_pass
// does), and more configuration.
func behindTLSProxyWith(t *testing.T, keepHost bool, configure func(*config.Config)) (env *servertest.Env, proxy *httptest.Server) {
	t.Helper()
	var rp atomic.Pointer[httputil.ReverseProxy]
	proxy = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rp.Load().ServeHTTP(w, r) }))
	proxy.StartTLS()
	t.Cleanup(proxy.Close)
	env = servertest.Start(t, servertest.Options{Configure: func(c *config.Config) {
		c.PublicURL = proxy.URL
		if configure != nil {
			configure(c)
		}
	}})
	target, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp.Store(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		if keepHost {
			r.Out.Host = r.In.Host
		}
		r.SetXForwarded()
	}})
	return env, proxy
}

// createUploadVia opens an upload through base with a browser's Origin
// header and returns the status and answer.
func createUploadVia(t *testing.T, client *http.Client, base, origin, key string) (int, upload) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"importer": key, "columns": []string{"name", "email"},
		"source": map[string]any{"format": "csv", "size_bytes": 100}, "rows": 1})
	req, _ := http.NewRequest("POST", base+"/api/v1/uploads", bytes.NewReader(body))
	req.Header.Set("Origin", origin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var up upload
	data, _ := io.ReadAll(resp.Body)
	json.Unmarshal(data, &up)
	return resp.StatusCode, up
}

// TestUploadBehindTLSProxy: the widget on the proxy's https origin may
// upload (before, Intake took the plain-HTTP request for http://… and
// refused origin_not_allowed); another origin is still refused.
func TestUploadBehindTLSProxy(t *testing.T) {
	t.Parallel()
	env, proxy := behindTLSProxy(t)
	im := createImporter(t, env, env.APIKey, nil)
	client := proxy.Client()
	if code, up := createUploadVia(t, client, proxy.URL, proxy.URL, im.Key); code != http.StatusCreated || up.UploadToken == "" {
		t.Fatalf("upload from Intake's own https origin through the proxy: HTTP %d", code)
	}
	for _, origin := range []string{"https://evil.example", "http" + proxy.URL[len("https"):]} {
		if code, _ := createUploadVia(t, client, proxy.URL, origin, im.Key); code != http.StatusForbidden {
			t.Errorf("upload from %s: HTTP %d, want 403", origin, code)
		}
	}
}

// TestBrowserImportBehindTLSProxy: the whole widget flow on the hosted page,
// in Chromium, through the TLS proxy (its self-signed certificate ignored).
func TestBrowserImportBehindTLSProxy(t *testing.T) {
	ctx := browsertest.New(t)
	env, proxy := behindTLSProxy(t)
	im := createImporter(t, env, env.APIKey, nil)
	path := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(path, []byte("Name,Email,Amount\nAnn,ann@example.com,1\nBob,bob@example.com,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(proxy.URL+"/i/"+im.Key),
		chromedp.WaitReady(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{path}),
		chromedp.Click(chromedp.CSS(`[data-testid=header-next]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=map-next]`)),
		chromedp.WaitVisible(chromedp.CSS(`.grid[data-ready]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=submit]:not([disabled])`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=done]`)),
	)
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("import through the proxy: %v; page shows %q", err, text)
	}
	var list struct {
		Imports []struct {
			ID   string `json:"id"`
			Rows int    `json:"rows"`
		} `json:"imports"`
	}
	env.Do(t, "GET", fmt.Sprintf("/api/v1/imports?importer=%s&status=completed", im.ID), env.APIKey, nil, &list)
	if len(list.Imports) != 1 {
		t.Fatalf("%d completed imports, want 1", len(list.Imports))
	}
	var page struct{ Rows [][]*string }
	if code := env.Do(t, "GET", "/api/v1/imports/"+list.Imports[0].ID+"/rows", env.APIKey, nil, &page); code != http.StatusOK || len(page.Rows) != 2 {
		t.Errorf("stored rows: HTTP %d, %d rows", code, len(page.Rows))
	}
}

// TestBrowserDemoBehindHostRewritingProxy: /demo (switched on with --demo)
// through a TLS proxy that sends Intake its own Host opens the importer:
// the page's origin is the public URL's, which counts as Intake's own
// (before, the embed compared it with the rewritten Host and refused).
func TestBrowserDemoBehindHostRewritingProxy(t *testing.T) {
	ctx := browsertest.New(t)
	on := true
	_, proxy := behindTLSProxyWith(t, false, func(c *config.Config) { c.Demo = &on })
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(proxy.URL+"/demo"),
		chromedp.Click(chromedp.CSS(`[data-testid=demo-open]:not([disabled])`)),
		chromedp.WaitReady(chromedp.CSS("iframe")),
	)
	if err != nil {
		t.Fatal(err)
	}
	wait, stop := context.WithTimeout(ctx, 15*time.Second)
	defer stop()
	if _, err := browsertest.Frame(wait, `input[type=file]`); err != nil {
		t.Fatalf("the demo's importer did not open through the proxy: %v", err)
	}
}
