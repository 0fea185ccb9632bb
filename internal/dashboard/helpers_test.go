package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/dashboard"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/server/servertest"

	"filippo.io/age"

	"github.com/intakehq/intake/internal/e2e"
)

// fresh is a server with no user at all, as on first start.
type fresh struct {
	URL  string
	Srv  *server.Server
	Logs *servertest.SyncBuffer
}

func startFresh(t testing.TB) *fresh {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load("test", []string{"--data-dir", dir}, func(string) (string, bool) { return "", false }, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	servertest.AllowLoopback(&cfg) // webhook destinations on loopback (test receivers)
	logs := &servertest.SyncBuffer{}
	srv, err := server.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &fresh{URL: hs.URL, Srv: srv, Logs: logs}
}

// browser is a minimal cookie-keeping client. Go's cookie jar will not send
// a Secure cookie over plain HTTP, so the session cookie is kept by hand,
// the way a browser treats http://127.0.0.1 (a secure context).
type browser struct {
	t       testing.TB
	base    string
	session string
}

type response struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
	Cookies  []*http.Cookie
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if b.session != "" {
		req.AddCookie(&http.Cookie{Name: dashboard.CookieName, Value: b.session})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(data), Header: resp.Header, Cookies: resp.Cookies()}
	for _, c := range r.Cookies {
		if c.Name == dashboard.CookieName {
			b.session = c.Value
			if c.MaxAge < 0 {
				b.session = ""
			}
		}
	}
	return r
}

func (b *browser) get(path string) response { return b.do("GET", path, nil, nil) }
func (b *browser) post(path string, form url.Values) response {
	if form == nil {
		form = url.Values{}
	}
	return b.do("POST", path, form, nil)
}

// signIn signs in and fails the test unless it worked.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	r := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther || b.session == "" {
		b.t.Fatalf("sign in as %s: %d %s", email, r.Status, r.Body)
	}
}

// find returns the first submatch of re in s, failing the test without one.
func find(t testing.TB, re, s string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no match for %s", re)
	}
	return m[1]
}

func str(v string) *string { return &v }

// upload sends rows through the upload API in chunks of chunkRows and
// completes the import; it returns the import id.
func upload(t testing.TB, base, importerKey string, columns []string, rows [][]*string, chunkRows int) string {
	t.Helper()
	return uploadTo(t, base, importerKey, columns, rows, chunkRows, nil)
}

// uploadTo is upload; with a recipient, each chunk is encrypted to it as
// the widget does for an e2e importer (e2e.Seal) and sent with its counts.
func uploadTo(t testing.TB, base, importerKey string, columns []string, rows [][]*string, chunkRows int, recipient age.Recipient) string {
	t.Helper()
	call := func(method, path, token string, body []byte, out any) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
		if out != nil {
			json.Unmarshal(data, out)
		}
	}
	var up struct {
		ImportID    string `json:"import_id"`
		UploadToken string `json:"upload_token"`
	}
	body, _ := json.Marshal(map[string]any{"importer": importerKey, "columns": columns,
		"source": map[string]any{"format": "csv", "size_bytes": 1000}, "rows": len(rows)})
	call("POST", "/api/v1/uploads", "", body, &up)
	n := 0
	for i := 0; i < len(rows); i += chunkRows {
		part := rows[i:min(i+chunkRows, len(rows))]
		path := fmt.Sprintf("/api/v1/uploads/%s/chunks/%d", up.ImportID, n)
		b, _ := json.Marshal(map[string]any{"first_row": i, "rows": part})
		if recipient != nil {
			var err error
			if b, err = e2e.Seal(e2e.Chunk{FirstRow: int64(i), Columns: columns, Rows: part}, recipient); err != nil {
				t.Fatal(err)
			}
			path += fmt.Sprintf("?first_row=%d&rows=%d", i, len(part))
		}
		call("PUT", path, up.UploadToken, b, nil)
		n++
	}
	b, _ := json.Marshal(map[string]any{"chunks": n, "rows": len(rows)})
	call("POST", "/api/v1/uploads/"+up.ImportID+"/complete", up.UploadToken, b, nil)
	return up.ImportID
}
